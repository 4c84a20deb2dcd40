"""The recurrent language model: cells, weight tying, projection regularization, save/load, BPTT."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from torch.nn import functional as F

import embedlab
from embedlab.blocks.recurrent import CELLS, make_rnn
from embedlab.errors import EmbedlabError, ModelFormatError
from embedlab.lm.batching import batchify, num_windows, perplexity, stream_nll, windows
from embedlab.lm.model import LanguageModel
from embedlab.lm.network import LMConfig, RNNLanguageModel
from embedlab.lm.tokens import EOS, LMTokenizer


def small(cell: str = "lstm", **kw: object) -> RNNLanguageModel:
    torch.manual_seed(0)
    return RNNLanguageModel(LMConfig(vocab_size=30, cell=cell, emb=8, hidden=8, layers=2, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_runs_forward_and_carries_state(cell: str) -> None:
    model = small(cell)
    ids = torch.randint(0, 30, (3, 5))
    logits, hidden = model(ids)
    assert logits.shape == (3, 5, 30)
    h = hidden[0] if isinstance(hidden, tuple) else hidden
    assert h.shape == (2, 3, 8)
    assert isinstance(hidden, tuple) == (cell == "lstm")


def test_rnn_relu_and_tanh_differ_in_nonlinearity() -> None:
    assert make_rnn("rnn_relu", 4, 4).nonlinearity == "relu"
    assert make_rnn("rnn_tanh", 4, 4).nonlinearity == "tanh"
    with pytest.raises(EmbedlabError, match="unknown cell"):
        make_rnn("transformer", 4, 4)


def test_tied_model_shares_one_parameter_and_has_fewer_parameters() -> None:
    tied, untied = small(tied=True), small()
    assert tied.decoder.weight is tied.embedding.weight
    assert untied.num_parameters() - tied.num_parameters() == 30 * 8
    # a gradient step moves the shared matrix from both uses
    logits, _ = tied(torch.tensor([[1, 2, 3]]))
    logits.sum().backward()
    assert tied.embedding.weight.grad is tied.decoder.weight.grad


def test_tying_needs_equal_sizes_or_an_explicit_projection() -> None:
    with pytest.raises(EmbedlabError, match="tie_projection"):
        RNNLanguageModel(LMConfig(vocab_size=10, emb=8, hidden=16, tied=True))
    model = RNNLanguageModel(LMConfig(vocab_size=10, emb=8, hidden=16, tied=True, tie_projection=True))
    assert model.bridge is not None and model(torch.tensor([[1, 2]]))[0].shape == (1, 2, 10)
    with pytest.raises(EmbedlabError, match="tied"):
        RNNLanguageModel(LMConfig(vocab_size=10, proj_reg=0.1))


def test_projection_penalty_is_lambda_times_squared_frobenius_norm() -> None:
    model = small(tied=True, proj_reg=0.5)
    assert model.projection is not None and model.projection.weight.shape == (8, 8)
    torch.testing.assert_close(model.projection.weight.detach(), torch.eye(8))  # starts as the plain tied model
    assert float(model.projection_penalty().detach()) == pytest.approx(0.5 * 8)
    with torch.no_grad():
        model.projection.weight.copy_(torch.arange(64, dtype=torch.float32).view(8, 8) / 64)
    by_hand = 0.5 * sum((i / 64) ** 2 for i in range(64))
    assert float(model.projection_penalty().detach()) == pytest.approx(by_hand, rel=1e-6)
    assert float(small(tied=True).projection_penalty()) == 0.0


def test_logits_go_through_the_projection_before_the_tied_softmax() -> None:
    model = small(tied=True, proj_reg=0.1).eval()
    ids = torch.tensor([[4, 5, 6]])
    out, _ = model.rnn(model.embedding(ids))
    assert model.projection is not None
    expected = (out @ model.projection.weight.T + model.projection.bias) @ model.embedding.weight.T + model.decoder.bias
    torch.testing.assert_close(model(ids)[0], expected)


def _lm(model: RNNLanguageModel) -> LanguageModel:
    words = [f"w{i}" for i in range(28)]
    tok = LMTokenizer.build([" ".join(words)], level="word")
    assert len(tok) == 30
    return LanguageModel(model, tok)


def test_tied_model_is_saved_once_and_retied_on_load(tmp_path: Path) -> None:
    lm = _lm(small(tied=True))
    lm.save(tmp_path / "m")
    with safe_open(str(tmp_path / "m" / "model.safetensors"), "pt") as f:
        keys = set(f.keys())
    assert "embedding.weight" in keys and "decoder.weight" not in keys
    loaded = embedlab.load(tmp_path / "m")
    assert isinstance(loaded, LanguageModel)
    assert loaded.module.decoder.weight is loaded.module.embedding.weight
    ids = torch.tensor([[1, 2, 3, 4]])
    torch.testing.assert_close(loaded.module.eval()(ids)[0], lm.module.eval()(ids)[0])


def test_untied_model_roundtrips_and_corrupt_files_raise(tmp_path: Path) -> None:
    lm = _lm(small("gru", dropout_emb=0.3))
    lm.save(tmp_path / "m")
    loaded = embedlab.load(tmp_path / "m")
    assert loaded.module.decoder.weight is not loaded.module.embedding.weight
    torch.testing.assert_close(loaded.module.decoder.weight, lm.module.decoder.weight)
    weights = tmp_path / "m" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ModelFormatError, match="truncated or corrupt"):
        embedlab.load(tmp_path / "m")


def test_batchify_cuts_contiguous_rows_and_splits_them_across_ranks() -> None:
    stream = np.arange(23)
    rows = batchify(stream, 2)
    assert rows.tolist() == [list(range(0, 11)), list(range(11, 22))]
    assert batchify(stream, 1, rank=1, world=2).tolist() == [list(range(11, 22))]
    pairs = list(windows(rows, 4))
    assert len(pairs) == num_windows(11, 4) == 3
    x, y = pairs[-1]
    assert x.tolist() == [[8, 9], [19, 20]] and y.tolist() == [[9, 10], [20, 21]]
    with pytest.raises(EmbedlabError, match="too few"):
        batchify(np.arange(3), 2)


def test_carrying_the_state_across_windows_gives_the_full_sequence_nll() -> None:
    model = small().eval()
    stream = torch.randint(0, 30, (41,))
    with torch.no_grad():
        logits, _ = model(stream[None, :-1])
        full = float(F.cross_entropy(logits[0], stream[1:], reduction="sum"))
    total, count = stream_nll(model, stream, batch_size=1, bptt=7)
    assert count == 40 and total == pytest.approx(full, rel=1e-5)


def test_a_model_with_zero_output_layer_has_perplexity_equal_to_the_vocabulary() -> None:
    model = small()
    with torch.no_grad():
        model.decoder.weight.zero_()
        model.decoder.bias.zero_()
    assert perplexity(model, torch.randint(0, 30, (200,))) == pytest.approx(30.0, rel=1e-5)


def test_word_and_char_tokenizers() -> None:
    tok = LMTokenizer.build(["The cat sat .", "the dog sat ."], level="word", max_size=3)
    assert tok.vocab.itos[:2] == ["<unk>", EOS] and len(tok) == 5
    assert tok.tokens("The fish") == ["the", "fish", EOS]
    assert tok.decode(tok.encode("the sat")) == "the sat\n"
    chars = LMTokenizer.build(["To be, or not"], level="char")
    assert chars.decode(chars.encode("To be")) == "To be\n"
    assert chars.encode("Q")[0] == chars.vocab.unk_id  # unseen character


def test_embeddings_export_drops_specials_and_names_the_table() -> None:
    lm = _lm(small(tied=True))
    kv = lm.embeddings("tied")
    assert len(kv) == 28 and "<eos>" not in kv
    row = lm.tokenizer.vocab.stoi["w5"]
    np.testing.assert_allclose(kv["w5"], lm.module.embedding.weight[row].detach().numpy())
    untied = _lm(small())
    np.testing.assert_allclose(untied.embeddings("output")["w5"], untied.module.decoder.weight[row].detach().numpy())
    with pytest.raises(EmbedlabError, match="untied"):
        untied.embeddings("tied")


def test_perplexity_is_exp_of_mean_nll() -> None:
    lm = _lm(small())
    text = ["w1 w2 w3", "w4 w5"]
    stream = lm.tokenizer.encode_stream(text)
    total, count = stream_nll(lm.module, stream)
    assert lm.perplexity(text) == pytest.approx(math.exp(total / count))


def test_held_out_text_is_never_the_training_text(tmp_path: Path) -> None:
    from embedlab.data.corpus import held_out_splits

    assert held_out_splits("en-mix") == ("en-mix", "en-mix")  # its own valid/test splits
    assert held_out_splits("shakespeare") == (None, None)  # no splits: the tail is held out
    (tmp_path / "en-mix").write_text("a file that shadows the name\n")
    assert held_out_splits(str(tmp_path / "en-mix")) == (None, None)
