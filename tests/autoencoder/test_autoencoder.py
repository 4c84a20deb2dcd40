"""The residual recurrent autoencoder: cell maths, nearest-word search, match drop, metrics, API."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from embedlab.autoencoder import (
    AutoencoderTrainConfig,
    NearestWords,
    SentenceAutoencoder,
    evaluate_reconstruction,
    score_reconstructions,
    train_autoencoder,
)
from embedlab.autoencoder.metrics import loose
from embedlab.autoencoder.network import AutoencoderConfig, RecurrentAutoencoder
from embedlab.autoencoder.residual import ResidualRNN
from embedlab.autoencoder.table import SPECIALS, build_table
from embedlab.autoencoder.training import AutoencoderTask
from embedlab.errors import EmbedlabError, ModelFormatError
from embedlab.static.embeddings import StaticEmbeddings


def test_residual_step_matches_the_formula_by_hand() -> None:
    torch.manual_seed(0)
    layer = ResidualRNN(3, 4, extra_blocks=1)
    x = torch.randn(2, 3, 3)
    out = layer(x)
    h = torch.zeros(2, 4)
    W1, b1 = layer.input.weight, layer.input.bias
    U, W2, b2 = layer.recurrent.weight, layer.update.weight, layer.update.bias
    blk = layer.blocks[0]
    for t in range(3):
        a = torch.tanh(x[:, t] @ W1.T + b1 + torch.tanh(h) @ U.T)
        h = h + a @ W2.T + b2
        inner = torch.tanh(torch.tanh(h) @ blk.inner.weight.T + x[:, t] @ blk.input.weight.T + blk.input.bias)
        h = h + inner @ blk.out.weight.T + blk.out.bias
        torch.testing.assert_close(out[:, t], h)


def test_repeated_input_equals_the_input_at_every_step() -> None:
    torch.manual_seed(1)
    layer = ResidualRNN(5, 6)
    s = torch.randn(3, 5)
    torch.testing.assert_close(layer(s, steps=4), layer(s.unsqueeze(1).expand(-1, 4, -1)))
    with pytest.raises(ValueError, match="steps"):
        layer(s)


@pytest.mark.parametrize("cell", ["residual", "gru"])
def test_encoder_ignores_padding(cell: str) -> None:
    torch.manual_seed(2)
    model = RecurrentAutoencoder(AutoencoderConfig(vocab_size=10, word_dim=4, hidden=8, sentence_dim=6, cell=cell)).eval()
    model.table.normal_()
    alone = model.encode(torch.tensor([[5, 4, 3]]), torch.tensor([3]))
    padded = model.encode(torch.tensor([[5, 4, 3, 0, 0], [1, 2, 3, 4, 5]]), torch.tensor([3, 5]))
    torch.testing.assert_close(padded[0], alone[0])
    assert model.decode(padded, 7).shape == (2, 7, 4)


def test_bad_cells_are_refused() -> None:
    with pytest.raises(EmbedlabError, match="unknown autoencoder cell"):
        RecurrentAutoencoder(AutoencoderConfig(vocab_size=5, word_dim=2, cell="lstm"))
    with pytest.raises(EmbedlabError, match="residual"):
        RecurrentAutoencoder(AutoencoderConfig(vocab_size=5, word_dim=2, cell="gru", extra_blocks=1))


def _brute_nearest(table: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    unit = torch.nn.functional.normalize(table, dim=1)
    scores = torch.nn.functional.normalize(vectors, dim=1) @ unit.T
    scores[:, 0] = -math.inf
    return scores.argmax(dim=1)


def test_nearest_and_match_certificate_agree_with_brute_force() -> None:
    torch.manual_seed(3)
    table = torch.randn(500, 16)
    table[0] = 0.0
    search = NearestWords(table, neighbours=8, chunk=128)
    targets = torch.randint(1, 500, (400,))
    # predictions at every distance from their targets: near ones are certified, far ones fall back
    noise = torch.linspace(0.05, 3.0, 400)[:, None] * torch.randn(400, 16)
    predictions = torch.nn.functional.normalize(table[targets], dim=1) + noise
    truth = _brute_nearest(table, predictions)
    assert torch.equal(search.nearest(predictions), truth)
    assert torch.equal(search.matches(predictions, targets), truth == targets)
    assert 0 < int((truth == targets).sum()) < 400
    assert 0 < search.stats["full_rows"] < search.stats["rows"]       # the certificate did some of the work
    assert torch.equal(NearestWords(table, neighbours=0).matches(predictions, targets), truth == targets)
    for bf16 in (True, False):   # the bfloat16 screen (where this CPU has it) never changes an answer
        assert torch.equal(NearestWords(table, neighbours=4, bfloat16=bf16).matches(predictions, targets), truth == targets)


def test_table_whitening_makes_the_pretrained_rows_isotropic() -> None:
    """Anisotropic vectors (one dominant direction): the whitened table's covariance is near a multiple
    of the identity (condition number from numpy), the centred-only one is far from it."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(200)]
    raw = rng.standard_normal((200, 8)) * np.array([30.0, 5, 3, 2, 1, 1, 0.5, 0.2]) + 10.0
    vectors = StaticEmbeddings(words, raw.astype(np.float32))
    sentences = [words[i:i + 5] for i in range(0, 200, 5)]

    def condition(table: np.ndarray) -> float:
        eig = np.linalg.eigvalsh(np.cov(table[len(SPECIALS):].T))
        return float(eig[-1] / eig[0])

    _, whitened, _ = build_table(sentences, vectors, min_count=1)
    _, centred, _ = build_table(sentences, vectors, min_count=1, whiten=False)
    assert condition(whitened) < 2.5 < 100 < condition(centred)   # row normalisation leaves ~1.8 of 1
    assert np.allclose(np.linalg.norm(whitened[len(SPECIALS):], axis=1), np.sqrt(8), atol=1e-4)


def test_match_test_decides_near_ties_exactly() -> None:
    """Predictions half-way between the target and a rival, nudged by less than the bfloat16 screen's
    error: the screen cannot decide them, the float32 re-check must."""
    torch.manual_seed(5)
    table = torch.randn(300, 32)
    table[0] = 0.0
    unit = torch.nn.functional.normalize(table, dim=1)
    targets = torch.randint(1, 300, (200,))
    rivals = (targets + torch.randint(1, 299, (200,))) % 300
    rivals[rivals == 0] = 1
    nudge = torch.linspace(-3e-3, 3e-3, 200)[:, None]
    predictions = unit[targets] + unit[rivals] + nudge * (unit[targets] - unit[rivals])
    truth = _brute_nearest(table, predictions)
    assert 0 < int((truth == targets).sum()) < 200
    for bf16 in (True, False):
        search = NearestWords(table, neighbours=4, screen=16, bfloat16=bf16)
        assert torch.equal(search.matches(predictions, targets), truth == targets)
        assert (search.stats["near_ties"] > 0) == bf16
    # hundreds of near-duplicate words: every row has too many near-ties to re-score pair by pair
    crowd = unit[1:2] + 2e-3 * torch.randn(300, 32)
    crowd[0] = 0.0
    guesses = crowd[targets] + 2e-3 * torch.randn(200, 32)
    truth = _brute_nearest(crowd, guesses)
    assert 0 < int((truth == targets).sum()) < 200
    search = NearestWords(crowd, neighbours=4, screen=16, bfloat16=True)
    assert torch.equal(search.matches(guesses, targets), truth == targets)
    assert search.stats["near_ties"] > 0


def test_top_k_matches_sorting() -> None:
    torch.manual_seed(4)
    table = torch.randn(300, 8)
    rows = torch.nn.functional.normalize(torch.randn(5, 8), dim=1)
    values, ids = NearestWords(table, neighbours=0, chunk=64).top(rows, 4)
    scores = rows @ torch.nn.functional.normalize(table, dim=1).T
    scores[:, 0] = -math.inf
    expected = scores.topk(4, dim=1)
    torch.testing.assert_close(values, expected.values)
    assert torch.equal(ids, expected.indices)


def _vectors() -> StaticEmbeddings:
    rng = np.random.default_rng(0)
    words = ["the", "cat", "dog", "sat", "ran", "on", "a", "mat", "rug", "big", "red", "small"]
    return StaticEmbeddings(words, (rng.standard_normal((len(words), 12)) + 3.0).astype(np.float32))


def test_table_centres_scales_and_gives_symbols_random_rows() -> None:
    vocab, table, info = build_table([["the", "cat", "sat", "."], ["the", "dog", "."]], _vectors(), min_count=1)
    assert vocab.itos[:3] == list(SPECIALS)
    assert info == {"vocab": 8, "pretrained": 4, "random": 3}       # ".", <unk>, <eos> random; <pad> zero
    assert np.all(table[0] == 0)
    np.testing.assert_allclose(np.linalg.norm(table[1:], axis=1), math.sqrt(12), rtol=1e-5)
    raw = _vectors()
    unit = raw.vectors / np.linalg.norm(raw.vectors, axis=1, keepdims=True)
    centred = unit[[raw.key_to_index[w] for w in ("the", "cat", "sat", "dog")]]
    centred = centred - centred.mean(axis=0)
    expected = centred / np.linalg.norm(centred, axis=1, keepdims=True) * math.sqrt(12)
    np.testing.assert_allclose(table[[vocab.stoi[w] for w in ("the", "cat", "sat", "dog")]], expected, rtol=1e-5, atol=1e-5)


def test_match_drop_removes_matched_positions_and_padding_from_the_loss() -> None:
    torch.manual_seed(5)
    model = RecurrentAutoencoder(AutoencoderConfig(vocab_size=9, word_dim=6, hidden=8, sentence_dim=8))
    model.table.normal_()
    model.table[0] = 0
    sentences = [np.array([3, 4, 5]), np.array([6, 7])]
    task = AutoencoderTask(model, sentences, AutoencoderTrainConfig(batch_size=2, match_drop=1.0, neighbours=3), eos=2)
    batch = next(task.batches(0, 0, 1))
    reversed_ids, lengths, targets = batch
    assert targets.tolist() in ([[3, 4, 5, 2], [6, 7, 2, 0]], [[6, 7, 2, 0], [3, 4, 5, 2]])
    predicted = model(reversed_ids, lengths, targets).detach()
    valid = targets != 0
    per_position = (predicted - model.table[targets]).pow(2).sum(-1)
    matched = _brute_nearest(model.table, predicted[valid]) == targets[valid]
    expected = (per_position[valid] * ~matched).sum() / valid.sum()
    torch.testing.assert_close(task.loss(model, batch), expected)
    off = AutoencoderTask(model, sentences, AutoencoderTrainConfig(batch_size=2, match_drop=0.0), eos=2)
    torch.testing.assert_close(off.loss(model, batch), per_position[valid].mean())


def test_metrics_by_hand() -> None:
    refs = [["the", "cat", "sat"], ["a", "dog"], ["U.S.", "wins", "!"]]
    outs = [["the", "cat", "sat"], ["a"], ["us", "wins", "?", "extra"]]
    r = score_reconstructions(refs, outs, buckets=((1, 2), (3, 3)))
    assert r.tight == pytest.approx(5 / 8)        # 3 + 1 + 1 (wins) of 8 words
    assert r.loose == pytest.approx(7 / 8)        # + U.S.=us and !=? (no letters); the missing "dog" stays wrong
    assert r.exact == pytest.approx(1 / 3)
    assert [(b.lengths, b.sentences, round(b.exact, 3)) for b in r.buckets] == [("1-2", 1, 0.0), ("3-3", 2, 0.5)]
    assert loose("Don't!") == "dont"
    assert r.chart().x == [2.0, 3.0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[SentenceAutoencoder, dict, object]:
    """A tiny autoencoder trained on a handful of sentences until it reproduces them."""
    sentences = ["the cat sat on the mat .", "a dog ran on a rug .", "the big red dog sat .",
                 "a small cat ran .", "the dog sat on a big mat ."]
    out = tmp_path_factory.mktemp("ae")
    # match drop makes already-right words drift and come back, so the run keeps its best checkpoint
    config = AutoencoderTrainConfig(hidden=64, sentence_dim=32, batch_size=5, lr=3e-3, epochs=300, max_steps=1200,
                                    eval_every=50, eval_sentences=5, min_count=1, lr_decay=1.0)
    model, report = train_autoencoder(config, _vectors(), sentences * 4, out, valid=sentences, progress=False)
    return model, report, out


def test_tiny_autoencoder_learns_to_reconstruct(trained: tuple[SentenceAutoencoder, dict, object]) -> None:
    model, report, _ = trained
    sentences = ["the cat sat on the mat .", "a dog ran on a rug .", "a small cat ran ."]
    assert model.reconstruct(sentences) == sentences
    assert report["valid_exact"] == 1.0
    vectors = model.encode(sentences)
    assert vectors.shape == (3, 32) and vectors.dtype == np.float32
    assert np.abs(vectors).max() <= 1.0                          # tanh read-out
    ends = model.interpolate(sentences[0], sentences[1], steps=3)
    assert [w for w, _ in ends] == [0.0, 0.5, 1.0]
    assert ends[0][1] == sentences[0] and ends[-1][1] == sentences[1]
    scores = evaluate_reconstruction(model, sentences, examples=2)
    assert scores.exact == 1.0 and len(scores.examples) == 2


def test_saved_model_round_trips_and_refuses_bad_input(trained: tuple[SentenceAutoencoder, dict, object], tmp_path) -> None:
    import embedlab

    model, _, out = trained
    loaded = embedlab.load(out)
    assert isinstance(loaded, SentenceAutoencoder)
    sentences = ["the dog sat on a big mat .", "a zebra sat ."]
    np.testing.assert_allclose(loaded.encode(sentences), model.encode(sentences), atol=1e-6)
    assert loaded.tokens("a zebra sat .") == ["a", "<unk>", "sat", "."]
    assert json.loads((out / "report.json").read_text())["steps"] == 1200
    np.testing.assert_allclose(loaded.encode("a zebra sat ."), loaded.encode(["a zebra sat ."])[0])  # str -> (d,)
    with pytest.raises(EmbedlabError, match="shape"):
        loaded.decode(np.zeros((2, 5)))
    with pytest.raises(EmbedlabError, match="NaN"):
        loaded.decode(np.full((1, 32), np.nan))
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in out.iterdir():
        if f.is_file():
            (broken / f.name).write_bytes(f.read_bytes())
    data = (broken / "model.safetensors").read_bytes()
    (broken / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFormatError):
        embedlab.load(broken)


def test_cli_train_encode_decode_and_eval(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from embedlab.cli.main import main

    sentences = ["the cat sat on the mat .", "a dog ran on a rug .", "the big red dog sat .", "a small cat ran ."]
    text = tmp_path / "text.txt"
    text.write_text("\n".join(sentences * 5) + "\n")
    _vectors().save_word2vec(tmp_path / "v.txt")
    out = tmp_path / "ae"
    assert main(["-q", "train", "autoencoder", "--vectors", str(tmp_path / "v.txt"), "--corpus", str(text),
                 "--valid", str(text), "--out", str(out), "--hidden", "32", "--sentence-dim", "16", "--batch-size", "4",
                 "--epochs", "2", "--eval-every", "5", "--lr", "3e-3"]) == 0
    assert "parameters" in capsys.readouterr().out
    assert json.loads((out / "report.json").read_text())["steps"] == 10
    assert main(["encode", str(out), "-i", str(text), "-o", str(tmp_path / "v.npy")]) == 0
    vectors = np.load(tmp_path / "v.npy")
    assert vectors.shape == (20, 16)
    capsys.readouterr()
    assert main(["decode", str(out), "-i", str(tmp_path / "v.npy"), "--max-words", "3"]) == 0
    decoded = capsys.readouterr().out.splitlines()
    assert len(decoded) == 20 and all(len(line.split()) <= 3 for line in decoded)
    model = SentenceAutoencoder.load(out)
    assert decoded[0] == model.decode(vectors[:1], max_words=3)[0]
    assert main(["decode", str(out), "-i", str(tmp_path / "v.npy"), "--beam", "3"]) == 0
    model.beam = 3
    assert capsys.readouterr().out.splitlines() == model.decode(vectors)
    model.beam = 1
    assert main(["decode", str(out), "-i", str(tmp_path / "v.npy"), "--beam", "0"]) == 2
    assert "--beam" in capsys.readouterr().err
    assert main(["-q", "train", "autoencoder", "--preset", "paper", "--vectors", str(tmp_path / "v.txt"), "--corpus",
                 str(text), "--valid", str(text), "--out", str(tmp_path / "paper"), "--hidden", "16", "--max-steps", "2"]) == 0
    paper = json.loads((tmp_path / "paper" / "config.json").read_text())
    assert (paper["decoder_input"], paper["output_tanh"], paper["sentence_dim"], paper["word_dim"]) == ("sentence", True, 16, 12)
    assert main(["eval", "reconstruction", str(out), "--text", str(text), "--plot", str(tmp_path / "p.png"),
                 "--json", str(tmp_path / "r.json")]) == 0
    scores = json.loads((tmp_path / "r.json").read_text())
    expected = evaluate_reconstruction(model, sentences * 5)
    assert scores["word_acc_tight"] == pytest.approx(expected.tight) and scores["sentences"] == 20
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    assert main(["decode", str(out), "-i", str(tmp_path / "bad.npy")]) == 2
    assert "not a readable .npy" in capsys.readouterr().err
    gappy = tmp_path / "gappy.txt"
    gappy.write_text("the cat sat .\n\na dog ran .\n")  # a blank line would shift every later row
    assert main(["encode", str(out), "-i", str(gappy), "-o", str(tmp_path / "g.npy")]) == 2
    assert "line 2 is blank" in capsys.readouterr().err and not (tmp_path / "g.npy").exists()
