"""The autoencoder's CPU design: reduced word vectors, the decoder's inputs, greedy decoding, warm-up,
the length curriculum and the presets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from embedlab.autoencoder.decoding import beam_decode_words, decode_words
from embedlab.autoencoder.nearest import NearestWords
from embedlab.autoencoder.network import AutoencoderConfig, RecurrentAutoencoder
from embedlab.autoencoder.residual import ResidualRNN
from embedlab.autoencoder.table import SPECIALS, build_table
from embedlab.autoencoder.training import AutoencoderTask, AutoencoderTrainConfig, preset, train_autoencoder
from embedlab.errors import EmbedlabError
from embedlab.static.embeddings import StaticEmbeddings
from embedlab.train.loop import LoopConfig, train


def test_added_input_equals_a_wider_input_layer() -> None:
    """``added`` = W_c s joined to every step's W1 x_t is the same layer as one reading [x_t; s]."""
    torch.manual_seed(0)
    narrow, wide = ResidualRNN(3, 5), ResidualRNN(3 + 2, 5)
    context = torch.nn.Linear(2, 5, bias=False)
    with torch.no_grad():
        wide.load_state_dict({**narrow.state_dict(), "input.weight": torch.cat([narrow.input.weight, context.weight], 1)})
    x, s = torch.randn(4, 6, 3), torch.randn(4, 2)
    joined = torch.cat([x, s.unsqueeze(1).expand(-1, 6, -1)], dim=2)
    torch.testing.assert_close(narrow(x, added=context(s)), wide(joined))


def test_teacher_forcing_feeds_the_previous_word() -> None:
    model = RecurrentAutoencoder(AutoencoderConfig(vocab_size=6, word_dim=3, hidden=8, sentence_dim=4,
                                                   decoder_input="previous"))
    model.table.normal_()
    with torch.no_grad():
        model.start.fill_(7.0)
    targets = torch.tensor([[4, 5, 2], [3, 2, 0]])
    prev = model.shifted(targets)
    assert prev.shape == (2, 3, 3)
    torch.testing.assert_close(prev[:, 0], torch.full((2, 3), 7.0))
    torch.testing.assert_close(prev[0, 1:], model.table[torch.tensor([4, 5])])
    torch.testing.assert_close(prev[1, 1:], model.table[torch.tensor([3, 2])])


@pytest.mark.parametrize("cell", ["residual", "gru"])
@pytest.mark.parametrize("decoder_input", ["sentence", "position", "previous"])
def test_decoding_step_by_step_equals_the_teacher_forced_pass(cell: str, decoder_input: str) -> None:
    """Greedy decoding feeds back its own words; given those same words, one teacher-forced pass
    predicts the same vectors, so the step-by-step state handling is right."""
    torch.manual_seed(3)
    model = RecurrentAutoencoder(AutoencoderConfig(vocab_size=12, word_dim=4, hidden=16, sentence_dim=8, cell=cell,
                                                   decoder_input=decoder_input, output_tanh=True)).eval()
    model.table.normal_()
    model.table[0] = 0
    nearest = NearestWords(model.table, neighbours=0)
    sentences = torch.randn(3, 8)
    words = decode_words(model, nearest, sentences, steps=6, eos=99)        # eos never appears: 6 words each
    assert words.shape == (3, 6)
    previous = model.shifted(words) if decoder_input == "previous" else None
    forced = model.decode(sentences, 6, previous)                           # (3, 6, d)
    again = nearest.nearest(forced.reshape(-1, 4)).view(3, 6)
    torch.testing.assert_close(again, words)


def test_reduced_table_is_whitened_pca() -> None:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(200)]
    raw = (rng.standard_normal((200, 10)) * np.linspace(3, 0.3, 10)).astype(np.float32)
    vocab, table, _ = build_table([words], StaticEmbeddings(words, raw), min_count=1, dim=4)
    assert table.shape == (len(vocab), 4)
    rows = table[[vocab.stoi[w] for w in words]]
    unit = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    reference = PCA(n_components=4, whiten=True).fit_transform(unit)
    reference /= np.linalg.norm(reference, axis=1, keepdims=True) / 2.0     # rows at norm sqrt(4)
    signs = np.sign((rows * reference).sum(axis=0))                        # PCA fixes no sign
    np.testing.assert_allclose(rows, reference * signs, atol=1e-4)


def test_reduction_needs_whitening_and_paper_scaling_standardizes() -> None:
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(50)]
    kv = StaticEmbeddings(words, rng.standard_normal((50, 8)).astype(np.float32))
    _, table, _ = build_table([words], kv, min_count=1, dim=3, whiten=False)
    assert table.shape[1] == 8                                              # kept, with a warning
    _, table, _ = build_table([words], kv, min_count=1, whiten=False, unit_rows=False, scale=0.05)
    body = table[len(SPECIALS):]
    np.testing.assert_allclose(body.std(axis=0), 0.05 * np.ones(8), rtol=0.05)
    with pytest.raises(EmbedlabError, match="positive"):
        build_table([words], kv, min_count=1, dim=0)


class _Slope:
    """A one-weight task with loss = w: each SGD step moves w by exactly that step's learning rate."""

    def __init__(self) -> None:
        self.model = torch.nn.Linear(1, 1, bias=False)
        torch.nn.init.zeros_(self.model.weight)

    def optimizers(self, model: torch.nn.Module) -> list[torch.optim.Optimizer]:
        return [torch.optim.SGD(model.parameters(), lr=0.4)]

    def batches(self, epoch: int, rank: int, world: int):  # type: ignore[no-untyped-def]
        yield from range(6)

    def loss(self, model: torch.nn.Module, batch: object) -> torch.Tensor:
        return model.weight.sum()


def test_warmup_scales_the_first_learning_rates() -> None:
    task = _Slope()
    seen = []
    for steps in range(1, 7):
        task.model.weight.data.zero_()
        train(task, LoopConfig(max_steps=steps, warmup_steps=4, lr_decay=0.5, progress=False))  # type: ignore[arg-type]
        seen.append(-float(task.model.weight.detach()))
    # step k (0-based) uses 0.4 * 0.5^k * min(1, (k + 1) / 4)
    lrs = [0.4 * 0.5 ** k * min(1.0, (k + 1) / 4) for k in range(6)]
    np.testing.assert_allclose(seen, np.cumsum(lrs), rtol=1e-6)


def test_a_time_budget_stops_training() -> None:
    assert train(_Slope(), LoopConfig(max_minutes=0.0, progress=False)).steps == 0  # type: ignore[arg-type]
    assert train(_Slope(), LoopConfig(max_minutes=5.0, progress=False)).steps == 6  # type: ignore[arg-type]


def test_curriculum_caps_the_longest_sentence() -> None:
    rng = np.random.default_rng(0)
    sentences = [np.arange(3, 3 + n) for n in rng.integers(1, 31, size=400)]
    config = AutoencoderTrainConfig(batch_size=4, max_length=30, curriculum_steps=60, curriculum_start=5)
    model = RecurrentAutoencoder(AutoencoderConfig(vocab_size=40, word_dim=2, hidden=4, sentence_dim=4))
    task = AutoencoderTask(model, sentences, config, eos=2)
    longest = [int(lengths.max()) for _, lengths, _ in task.batches(0, 0, 1)]
    for step, n in enumerate(longest[:60]):
        assert n <= max(5 + 25 * step / 60, min(len(s) for s in sentences))
    assert max(longest[60:]) == 30 and len(longest) == 100
    assert np.mean(longest[:20]) < np.mean(longest[60:])


def test_presets() -> None:
    paper = preset("paper", hidden=256)
    assert (paper.decoder_input, paper.output_tanh, paper.unit_rows, paper.grad_clip, paper.lr) == \
        ("sentence", True, False, 0.0, 4.2e-5)
    assert paper.sentence_dim == 256 and paper.target_scale == 0.05 and paper.word_dim is None
    assert preset("paper", hidden=256, sentence_dim=64).sentence_dim == 64
    assert preset("cpu") == AutoencoderTrainConfig()
    with pytest.raises(EmbedlabError, match="paper"):
        preset("gpu")


def test_tiny_previous_word_decoder_reconstructs() -> None:
    sentences = ["the cat sat on the mat .", "a dog ran on a rug .", "the big red dog sat .", "a small cat ran ."]
    rng = np.random.default_rng(0)
    words = ["the", "cat", "dog", "sat", "ran", "on", "a", "mat", "rug", "big", "red", "small"]
    kv = StaticEmbeddings(words, rng.standard_normal((len(words), 12)).astype(np.float32))
    config = AutoencoderTrainConfig(hidden=48, sentence_dim=32, batch_size=4, lr=3e-3, epochs=400, max_steps=600,
                                    eval_every=50, eval_sentences=4, min_count=1, lr_decay=1.0, decoder_input="previous",
                                    word_dim=8, curriculum_steps=0, warmup_steps=20)
    model, report = train_autoencoder(config, kv, sentences * 4, None, valid=sentences, progress=False)
    assert model.reconstruct(sentences) == sentences
    assert report["evaluations"][-1]["word_acc"] == pytest.approx(1.0)


def _log_prob(model: RecurrentAutoencoder, unit: torch.Tensor, sentences: torch.Tensor, words: torch.Tensor,
              eos: int, temperature: float = 0.05) -> torch.Tensor:
    """Each row's summed log-probability under the teacher-forced decoder, up to its first eos."""
    predicted = model.decode(sentences, words.size(1), model.shifted(words))
    logp = torch.log_softmax(torch.nn.functional.normalize(predicted, dim=2) @ unit.t() / temperature, dim=2)
    picked = logp.gather(2, words.unsqueeze(2))[..., 0]                       # (B, T)
    after_eos = (words == eos).long().cumsum(1) - (words == eos).long() > 0
    return picked.masked_fill(after_eos, 0.0).sum(1)


def test_beam_search_is_greedy_at_width_one_and_scores_at_least_as_high_when_wider() -> None:
    torch.manual_seed(5)
    model = RecurrentAutoencoder(AutoencoderConfig(vocab_size=9, word_dim=4, hidden=16, sentence_dim=8,
                                                   decoder_input="previous")).eval()
    model.table.normal_()
    model.table[0] = 0
    nearest = NearestWords(model.table, neighbours=0)
    sentences = torch.randn(6, 8)
    greedy = decode_words(model, nearest, sentences, steps=5, eos=2)
    one = beam_decode_words(model, nearest, sentences, steps=5, eos=2, beam=1)
    torch.testing.assert_close(one, greedy[:, : one.size(1)])
    wide = beam_decode_words(model, nearest, sentences, steps=5, eos=2, beam=3)
    with torch.no_grad():
        assert (_log_prob(model, nearest.unit, sentences, wide, 2)
                >= _log_prob(model, nearest.unit, sentences, one, 2) - 1e-4).all()
