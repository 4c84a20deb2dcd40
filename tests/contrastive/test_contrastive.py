"""SimCSE / DiffCSE pieces: losses against hand computations, masking statistics, encoders, generators."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from embedlab.contrastive.bag import BagSentenceEncoder
from embedlab.contrastive.diffcse import ConditionalDiscriminator, mask_tokens, rtd_loss
from embedlab.contrastive.encoder import TokenSpace
from embedlab.contrastive.generators import LMGenerator, RandomGenerator, load_generator
from embedlab.contrastive.heads import make_head
from embedlab.contrastive.rnn import RNNSentenceEncoder
from embedlab.contrastive.simcse import info_nce
from embedlab.contrastive.training import read_triplets, token_counts
from embedlab.contrastive.words import WORD_SPECIALS, build_word_vocab
from embedlab.errors import DataError, EmbedlabError
from embedlab.static.embeddings import StaticEmbeddings

TEXTS = ["the king and the queen .", "a man and a woman .", "the prince saw the princess", "paris is a city",
         "an apple and a pear", "the car and the truck"]


def hand_info_nce(a: np.ndarray, p: np.ndarray, t: float, n: np.ndarray | None = None) -> float:
    def cos(x: np.ndarray, y: np.ndarray) -> float:
        return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))

    total = 0.0
    for i in range(len(a)):
        logits = [cos(a[i], p[j]) / t for j in range(len(p))]
        if n is not None:
            logits += [cos(a[i], n[j]) / t for j in range(len(n))]
        total += -(logits[i] - math.log(sum(math.exp(x) for x in logits)))
    return total / len(a)


@pytest.mark.parametrize("hard", [False, True])
def test_info_nce_matches_a_hand_computation(hard: bool) -> None:
    rng = np.random.default_rng(0)
    a, p, n = (rng.normal(size=(5, 7)) for _ in range(3))
    got = info_nce(torch.tensor(a), torch.tensor(p), 0.05, torch.tensor(n) if hard else None)
    assert float(got) == pytest.approx(hand_info_nce(a, p, 0.05, n if hard else None), rel=1e-9)


@pytest.mark.parametrize("hard", [False, True])
def test_info_nce_split_across_ranks_averages_to_the_whole_batch(hard: bool) -> None:
    """Two ranks of 3 with gathered positives (and negatives) = one batch of 6: what torchrun training does."""
    rng = np.random.default_rng(1)
    a, p, n = (rng.normal(size=(6, 7)) for _ in range(3))
    negatives = torch.tensor(n) if hard else None
    ranks = [info_nce(torch.tensor(a[r * 3:(r + 1) * 3]), torch.tensor(p), 0.05, negatives, first_target=r * 3)
             for r in range(2)]
    whole = hand_info_nce(a, p, 0.05, n if hard else None)
    assert float(sum(ranks)) / 2 == pytest.approx(whole, rel=1e-9)


def test_info_nce_is_low_when_each_anchor_is_its_own_positive() -> None:
    x = torch.eye(4) * 3
    assert float(info_nce(x, x, 0.05)) < 1e-6
    assert float(info_nce(x, x.roll(1, 0), 0.05)) > 10  # every positive is someone else's


def test_rtd_loss_is_mean_bce_over_scored_positions() -> None:
    logits = torch.tensor([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]], requires_grad=True)
    replaced = torch.tensor([[True, False, True], [False, True, True]])
    scored = torch.tensor([[True, True, False], [True, False, True]])
    picked = [(2.0, 1), (-1.0, 0), (0.0, 0), (-2.0, 1)]
    hand = np.mean([-math.log(1 / (1 + math.exp(-z))) if y else -math.log(1 - 1 / (1 + math.exp(-z))) for z, y in picked])
    assert float(rtd_loss(logits, replaced, scored).detach()) == pytest.approx(hand, rel=1e-6)
    empty = rtd_loss(logits, replaced, torch.zeros_like(scored))
    empty.backward()  # no position to score: zero, and the graph still backpropagates
    assert float(empty.detach()) == 0.0 and logits.grad is not None


def word_space(n: int = 50) -> TokenSpace:
    return TokenSpace(tuple(["<pad>", "<unk>", "<mask>"] + [f"w{i}" for i in range(n)]), pad_id=0, unk_id=1, mask_id=2,
                      special_ids=frozenset({0, 2}))


def test_masking_follows_bert_proportions_and_never_touches_specials() -> None:
    space = word_space()
    ids = torch.randint(3, len(space), (400, 30))
    ids[:, 25:] = 0  # padding
    attention = (ids != 0).long()
    masked, chosen = mask_tokens(ids, attention, space, ratio=0.3, rng=torch.Generator().manual_seed(0))
    real = attention.bool()
    assert not chosen[~real].any() and torch.equal(masked[~real], ids[~real])
    assert float(chosen[real].float().mean()) == pytest.approx(0.3, abs=0.01)
    as_mask = (masked == space.mask_id) & chosen
    assert float(as_mask.sum() / chosen.sum()) == pytest.approx(0.8, abs=0.02)
    assert torch.equal(masked[~chosen], ids[~chosen])  # only chosen positions change
    assert not ((masked == 0) & real).any()  # random replacements are ordinary tokens


def test_heads() -> None:
    bn = make_head("bn", 8)
    layers = [type(m).__name__ for m in bn]
    assert layers == ["Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d"]
    assert bn[0].bias is None and bn[3].bias is None and bn[4].affine is False
    assert bn(torch.randn(6, 8)).shape == (6, 8)
    assert isinstance(make_head("none", 8), torch.nn.Identity)
    with pytest.raises(EmbedlabError, match="unknown head"):
        make_head("big", 8)


def test_untrained_bag_is_the_mean_of_the_static_vectors(tiny_kv: StaticEmbeddings) -> None:
    kv = StaticEmbeddings(tiny_kv.index_to_key, tiny_kv.vectors, lowercase=True)
    vocab = build_word_vocab(TEXTS, kv)
    bag = BagSentenceEncoder(vocab, vectors=kv)
    sentences = ["the king and the queen", "zzz unknown", "Paris apple pear"]
    got = bag.encode(sentences)
    assert np.allclose(got, kv.encode(sentences), atol=1e-6)  # the vectors' own mean pooling
    hand = np.mean([kv["the"], kv["king"], kv["the"], kv["queen"]], axis=0)  # "and" is not in the table
    assert np.allclose(got[0], hand, atol=1e-6) and np.allclose(got[1], 0)


def test_bag_word_dropout_keeps_at_least_one_word(tiny_kv: StaticEmbeddings) -> None:
    vocab = build_word_vocab(TEXTS, tiny_kv)
    bag = BagSentenceEncoder(vocab, vectors=tiny_kv, dropout=0.0, word_dropout=0.99).train()
    ids, attention = bag.batch(bag.tokenize(["king queen man woman"] * 20))
    out = bag(ids, attention)
    assert torch.isfinite(out).all() and (out.abs().sum(1) > 0).all()


@pytest.mark.parametrize("pooler", ["mean", "max", "last"])
def test_rnn_vector_does_not_depend_on_padding(pooler: str) -> None:
    torch.manual_seed(0)
    vocab = build_word_vocab(TEXTS)
    rnn = RNNSentenceEncoder(vocab, emb=8, hidden=6, pooler=pooler).eval()  # type: ignore[arg-type]
    alone = rnn.encode(["a man and a woman ."])
    batched = rnn.encode(["a man and a woman .", "the king and the queen . the prince saw the princess"])
    assert rnn.dim == 12 and np.allclose(alone[0], batched[0], atol=1e-6)


def test_rnn_mean_pooling_by_hand() -> None:
    torch.manual_seed(0)
    vocab = build_word_vocab(TEXTS)
    rnn = RNNSentenceEncoder(vocab, emb=8, hidden=6, cell="lstm").eval()
    ids, attention = rnn.batch(rnn.tokenize(["the car and the truck"]))
    states, _ = rnn.rnn(rnn.embedding(ids), attention.sum(1))
    assert torch.allclose(rnn(ids, attention)[0], states[0].mean(0), atol=1e-6)


@pytest.mark.parametrize("kind", ["bag", "rnn"])
def test_word_encoders_round_trip_through_a_folder(tmp_path: Path, tiny_kv: StaticEmbeddings, kind: str) -> None:
    import embedlab

    vocab = build_word_vocab(TEXTS, tiny_kv)
    enc = (BagSentenceEncoder(vocab, vectors=tiny_kv, word_dropout=0.2) if kind == "bag"
           else RNNSentenceEncoder(vocab, vectors=tiny_kv, hidden=5, pooler="max"))
    enc.save(tmp_path / "enc")
    back = embedlab.load(tmp_path / "enc")
    assert type(back) is type(enc) and back.settings() == enc.settings()
    assert np.allclose(back.encode(TEXTS), enc.encode(TEXTS), atol=1e-6)
    (tmp_path / "enc" / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(Exception, match="safetensors|corrupt|truncated|weights"):
        embedlab.load(tmp_path / "enc")


def test_discriminator_uses_the_sentence_vector_and_ignores_padding() -> None:
    torch.manual_seed(0)
    disc = ConditionalDiscriminator(20, 6, hidden=16, layers=1, heads=2, dropout=0.0).eval()
    ids = torch.tensor([[5, 6, 7, 0, 0]])
    attention = (ids != 0).long()
    h = torch.randn(1, 6)
    out = disc(ids, attention, h)
    assert out.shape == (1, 5)
    assert torch.allclose(disc(ids[:, :3], attention[:, :3], h), out[:, :3], atol=1e-5)
    assert not torch.allclose(disc(ids, attention, -h)[:, :3], out[:, :3])


def test_random_and_unigram_generators_only_write_chosen_positions() -> None:
    space = word_space(10)
    ids = torch.randint(3, len(space), (8, 12))
    chosen = torch.rand(8, 12) < 0.4
    edited = RandomGenerator(space).fill(ids, torch.ones_like(ids), chosen, ids, torch.Generator().manual_seed(1))
    assert torch.equal(edited[~chosen], ids[~chosen])
    assert not torch.isin(edited[chosen], torch.tensor([0, 2])).any()
    counts = np.zeros(len(space), dtype=np.int64)
    counts[7] = 100  # all the mass on one token
    edited = load_generator("unigram", space, counts).fill(ids, torch.ones_like(ids), chosen, ids)
    assert (edited[chosen] == 7).all()
    assert token_counts([[3, 3, 4], [4, 4]], 6).tolist() == [0, 0, 0, 2, 3, 0]


def test_lm_generator_writes_the_language_models_best_next_word(tiny_corpus_path: Path) -> None:
    from embedlab.lm.model import LanguageModel
    from embedlab.lm.network import LMConfig, RNNLanguageModel
    from embedlab.lm.tokens import LMTokenizer

    texts = tiny_corpus_path.read_text(encoding="utf-8").splitlines()[:100]
    tok = LMTokenizer.build(texts, max_size=200)
    torch.manual_seed(0)
    lm = LanguageModel(RNNLanguageModel(LMConfig(vocab_size=len(tok), emb=8, hidden=8, layers=1, cell="gru")).eval(), tok)
    vocab = build_word_vocab(texts, max_vocab=150)
    enc = BagSentenceEncoder(vocab, emb=4)
    gen = LMGenerator(lm, enc.tokens)
    ids, attention = enc.batch(enc.tokenize(texts[:3]))
    chosen = torch.zeros_like(ids, dtype=torch.bool)
    chosen[:, 2] = True
    chosen &= attention.bool()
    masked = torch.where(chosen, torch.full_like(ids, enc.tokens.mask_id), ids)
    edited = gen.fill(masked, attention, chosen, ids)
    # by hand: the LM reads <eos> w0 w1 and its best next word that the encoder also has
    for row in range(3):
        if not chosen[row, 2]:
            continue
        words = [tok.eos_id] + [tok.vocab.stoi.get(vocab.itos[int(i)], tok.vocab.unk_id) for i in ids[row, :2]]
        logits = lm.module(torch.tensor([words]))[0][0, -1]
        allowed = [j for j, w in enumerate(tok.vocab.itos) if w in vocab.stoi and vocab.stoi[w] not in (0, 1, 2)]
        best = max(allowed, key=lambda j: float(logits[j]))
        assert vocab.itos[int(edited[row, 2])] == tok.vocab.itos[best]
    assert torch.equal(edited[~chosen], ids[~chosen])


def test_masked_lm_generator_bridges_vocabularies(tmp_path: Path, tiny_teacher_dir: Path) -> None:
    transformers = pytest.importorskip("transformers")
    from embedlab.contrastive.transformer import TransformerSentenceEncoder

    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=400, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=32, max_position_embeddings=64)
    transformers.BertForMaskedLM(config).save_pretrained(tmp_path / "mlm")
    (tmp_path / "mlm" / "tokenizer.json").write_text((tiny_teacher_dir / "tokenizer.json").read_text())
    enc = TransformerSentenceEncoder.load(tiny_teacher_dir)
    gen = load_generator(str(tmp_path / "mlm"), enc.tokens)
    assert gen.bridge.coverage == pytest.approx(1.0)  # type: ignore[attr-defined]
    ids, attention = enc.batch(enc.tokenize(TEXTS))
    masked, chosen = mask_tokens(ids, attention, enc.tokens, ratio=0.5, rng=torch.Generator().manual_seed(0))
    edited = gen.fill(masked, attention, chosen, ids)
    assert torch.equal(edited[~chosen], ids[~chosen])
    assert not enc.tokens.special_mask(edited[chosen]).any()
    # by hand, one position: the model's argmax over the non-special tokens
    row, col = [int(x) for x in chosen.nonzero()[0]]
    logits = gen.model(input_ids=masked, attention_mask=attention).logits[row, col]  # type: ignore[attr-defined]
    logits[list(enc.tokens.special_ids | {enc.tokens.unk_id})] = -float("inf")
    assert int(edited[row, col]) == int(logits.argmax())


def test_generator_specs_fail_clearly(tmp_path: Path) -> None:
    space = word_space()
    with pytest.raises(EmbedlabError, match="unknown generator"):
        load_generator("bert", space)
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(EmbedlabError, match="not a model folder"):
        load_generator(str(tmp_path / "x.txt"), space)


def test_read_triplets(tmp_path: Path) -> None:
    good = tmp_path / "t.tsv"
    good.write_text("a cat\ta kitten\ta car\n\nthe dog\ta puppy\ta truck\n", encoding="utf-8")
    assert read_triplets(good) == [("a cat", "a kitten", "a car"), ("the dog", "a puppy", "a truck")]
    bad = tmp_path / "b.tsv"
    bad.write_text("a cat\ta kitten\ta car\nonly one field\n", encoding="utf-8")
    with pytest.raises(DataError, match=":2: expected"):
        read_triplets(bad)
    mixed = tmp_path / "m.tsv"
    mixed.write_text("a\tb\tc\nd\te\n", encoding="utf-8")
    with pytest.raises(DataError, match="one layout"):
        read_triplets(mixed)


def test_word_vocabulary_starts_with_the_specials(tiny_kv: StaticEmbeddings) -> None:
    vocab = build_word_vocab(TEXTS, tiny_kv)
    assert vocab.itos[:3] == list(WORD_SPECIALS)
    assert set(vocab.itos[3:]) == {w.lower() for w in tiny_kv.index_to_key}
    assert vocab.counts[vocab.stoi["the"]] == 6  # corpus counts ride along for unigram replacement


def test_shuffled_batches_are_full_equal_per_rank_and_one_process_keeps_consecutive_slices() -> None:
    from embedlab.blocks.batching import shuffled_batches

    order = np.random.default_rng((3, 1)).permutation(23)
    alone = list(shuffled_batches(23, 4, 3, 1, 0, 1))
    assert [i for _, i, _ in alone] == [0, 1, 2, 3, 4]  # 23 // 4 full batches; the 3 left over are skipped
    assert all(np.array_equal(rows, order[4 * i:4 * i + 4]) for _, i, rows in alone)
    ranks = [list(shuffled_batches(23, 4, 3, 1, r, 2)) for r in range(2)]
    assert [[i for _, i, _ in b] for b in ranks] == [[0, 2], [1, 3]]  # batch 4 would leave rank 1 behind
