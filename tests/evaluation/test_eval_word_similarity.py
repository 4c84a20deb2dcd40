"""Word similarity: hand-computed scores, the OOV policies, and parity with gensim's evaluate_word_pairs."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest
from gensim.models import KeyedVectors
from scipy import stats

from embedlab.data.benchmarks import BENCHMARKS, WordPairs, load_word_pairs
from embedlab.evaluation import (
    WordSimilarityEvaluator,
    as_word_vectors,
    build_vocab_index,
    evaluate_word_similarity,
)

SQ = 1 / math.sqrt(2)


def _kv(words: list[str], vectors: np.ndarray) -> KeyedVectors:
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(words, np.asarray(vectors, dtype=np.float32))
    return kv


def _pairs(pairs: list[tuple[str, str]], scores: list[float]) -> WordPairs:
    return WordPairs("hand", pairs, np.asarray(scores, dtype=np.float64))


# a=(1,0) b=(1,1) c=(0,1) d=(-1,0): cos(a,b)=1/sqrt2, cos(a,c)=0, cos(a,d)=-1, cos(b,d)=-1/sqrt2
HAND = _kv(["a", "b", "c", "d"], np.array([[1, 0], [1, 1], [0, 1], [-1, 0]]))


def test_hand_computed_spearman_and_pearson() -> None:
    pairs = _pairs([("a", "b"), ("a", "c"), ("a", "d"), ("b", "d")], [4.0, 3.0, 1.0, 2.0])
    result = evaluate_word_similarity(HAND, pairs)
    # ranks of the cosines [4, 3, 1, 2] vs gold [4, 3, 1, 2]: identical -> 1
    assert result.spearman == pytest.approx(1.0)
    assert result.pearson == pytest.approx(stats.pearsonr([4, 3, 1, 2], [SQ, 0, -1, -SQ]).statistic)
    swapped = _pairs(pairs.pairs, [4.0, 3.0, 2.0, 1.0])
    # rank differences (0, 0, 1, 1): rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert evaluate_word_similarity(HAND, swapped).spearman == pytest.approx(0.8)
    assert result.coverage == 1.0 and result.oov_words == () and result.oov_ratio == 0.0


def test_oov_skip_and_zero() -> None:
    pairs = _pairs([("a", "b"), ("a", "c"), ("a", "zzz"), ("b", "d"), ("yyy", "d")], [5, 3, 4, 1, 2])
    skip = evaluate_word_similarity(HAND, pairs)
    assert skip.n_pairs == 5 and skip.n_covered == 3
    assert skip.coverage == pytest.approx(0.6) and skip.oov_ratio == pytest.approx(40.0)
    assert skip.oov_words == ("yyy", "zzz")
    assert skip.spearman == pytest.approx(stats.spearmanr([5, 3, 1], [SQ, 0, -SQ]).statistic)
    zero = evaluate_word_similarity(HAND, pairs, oov="zero")
    assert zero.n_covered == 3 and zero.oov == "zero"
    assert zero.spearman == pytest.approx(stats.spearmanr([5, 3, 4, 1, 2], [SQ, 0, 0, -SQ, 0]).statistic)
    assert zero.pearson == pytest.approx(stats.pearsonr([5, 3, 4, 1, 2], [SQ, 0, 0, -SQ, 0]).statistic)
    with pytest.raises(ValueError, match="oov"):
        evaluate_word_similarity(HAND, pairs, oov="mean")  # type: ignore[arg-type]


def test_fallback_fills_missing_words() -> None:
    pairs = _pairs([("a", "b"), ("a", "c"), ("a", "New"), ("b", "d"), ("none", "d")], [5, 3, 4, 1, 2])
    calls: list[str] = []

    def fallback(word: str) -> np.ndarray | None:
        calls.append(word)
        return {"New": np.array([1.0, -1.0]), "none": np.zeros(2)}.get(word)

    result = evaluate_word_similarity(HAND, pairs, fallback=fallback)
    assert calls == ["New", "none"]  # table words never reach the fallback; the dataset's spelling is passed
    assert result.fallback_words == ("New",)
    assert result.oov_words == ("none",)  # a zero fallback vector counts as missing
    assert result.n_covered == 4
    # cos(a, (1,-1)) = 1/sqrt2
    assert result.spearman == pytest.approx(stats.spearmanr([5, 3, 4, 1], [SQ, 0, SQ, -SQ]).statistic)
    with pytest.raises(ValueError, match="shape"):
        evaluate_word_similarity(HAND, pairs, fallback=lambda w: np.ones(3))


def test_case_insensitive_earlier_row_wins_and_restrict_vocab() -> None:
    kv = _kv(["Paris", "paris", "france", "rome"], np.array([[1, 0], [0, 1], [1, 1], [0, 1]]))
    pairs = _pairs([("PARIS", "france"), ("paris", "rome"), ("France", "rome")], [3, 2, 1])
    result = evaluate_word_similarity(kv, pairs)
    # "paris" -> row 0 "Paris" (1,0): cos with france 1/sqrt2, with rome 0; cos(france, rome) = 1/sqrt2
    assert result.pearson == pytest.approx(stats.pearsonr([3, 2, 1], [SQ, 0, SQ]).statistic)
    exact = evaluate_word_similarity(kv, pairs, case_insensitive=False)
    assert exact.oov_words == ("France", "PARIS") and exact.n_covered == 1
    restricted = evaluate_word_similarity(kv, pairs, restrict_vocab=3)  # "rome" is row 3
    assert restricted.oov_words == ("rome",) and restricted.restrict_vocab == 3


def test_restrict_vocab_must_not_be_negative() -> None:
    pairs = _pairs([("a", "b"), ("a", "c"), ("a", "d")], [3, 2, 1])
    for bad in (-1, -3):
        with pytest.raises(ValueError, match=f"restrict_vocab must be >= 0 .*got {bad}"):
            evaluate_word_similarity(HAND, pairs, restrict_vocab=bad)
        with pytest.raises(ValueError, match="restrict_vocab"):
            build_vocab_index(HAND, restrict_vocab=bad)
    assert evaluate_word_similarity(HAND, pairs, restrict_vocab=None).n_covered == 3  # None: every row
    assert evaluate_word_similarity(HAND, pairs, restrict_vocab=0).n_covered == 0


def test_zero_and_nan_vectors_are_oov_not_scores(caplog: pytest.LogCaptureFixture) -> None:
    kv = _kv(["a", "b", "zero", "bad", "c"], np.array([[1, 0], [1, 1], [0, 0], [np.nan, 1], [0, 1]]))
    pairs = _pairs([("a", "b"), ("a", "zero"), ("bad", "b"), ("a", "c"), ("b", "c")], [5, 4, 3, 2, 1])
    with caplog.at_level(logging.WARNING):
        result = evaluate_word_similarity(kv, pairs)
    assert "2 vectors are zero or non-finite" in caplog.text
    assert result.oov_words == ("bad", "zero") and result.n_covered == 3
    assert math.isfinite(result.spearman)
    assert result.spearman == pytest.approx(stats.spearmanr([5, 2, 1], [SQ, 0, SQ]).statistic)


def test_too_few_pairs_gives_nan() -> None:
    result = evaluate_word_similarity(HAND, _pairs([("a", "b"), ("x", "y")], [1, 2]))
    assert math.isnan(result.spearman) and math.isnan(result.pearson) and result.n_covered == 1


def test_adapters_dict_and_model2vec() -> None:
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, pre_tokenizers

    as_dict = {"a": np.array([1.0, 0.0]), "b": np.array([1.0, 1.0]), "c": np.array([0.0, 1.0])}
    pairs = _pairs([("a", "b"), ("a", "c"), ("b", "c")], [3, 1, 2])
    expected = stats.spearmanr([3, 1, 2], [SQ, 0, SQ]).statistic
    assert evaluate_word_similarity(as_dict, pairs).spearman == pytest.approx(expected)

    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0, "a": 1, "b": 2, "c": 3}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    table = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float16)
    m2v = StaticModel(table, tokenizer)
    wv = as_word_vectors(m2v)
    assert wv.index_to_key == ["[UNK]", "a", "b", "c"] and wv.vectors.dtype == np.float32
    assert evaluate_word_similarity(m2v, pairs).spearman == pytest.approx(expected)

    assert as_word_vectors(HAND) is HAND
    with pytest.raises(TypeError, match="cannot use"):
        as_word_vectors(42)
    with pytest.raises(ValueError, match="one size"):
        as_word_vectors({"a": np.ones(2), "b": np.ones(3)})


def test_evaluator_contract() -> None:
    evaluator = WordSimilarityEvaluator([_pairs([("a", "b"), ("a", "c"), ("a", "d")], [3, 2, 1])], name="dev")
    metrics = evaluator(HAND)
    assert evaluator.primary_metric == "dev_spearman_mean" and evaluator.greater_is_better
    assert metrics["dev_spearman_mean"] == pytest.approx(1.0)
    assert set(metrics) == {"dev_hand_spearman", "dev_hand_pearson", "dev_hand_coverage", "dev_spearman_mean"}
    assert evaluator.results[0].dataset == "hand"
    # a set scoring NaN (one pair covered) is left out of the mean: 1.0 from the first set alone
    nan_set = WordPairs("tiny", [("a", "b"), ("x", "y")], np.array([1.0, 2.0]))
    metrics = WordSimilarityEvaluator([_pairs([("a", "b"), ("a", "c"), ("a", "d")], [3, 2, 1]), nan_set])(HAND)
    assert math.isnan(metrics["tiny_spearman"]) and metrics["spearman_mean"] == pytest.approx(1.0)


# --- parity with gensim ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def random_kv() -> KeyedVectors:
    """Random vectors for most words of WS353 and SimLex, some upper-cased duplicates, some words left out."""
    rng = np.random.default_rng(7)
    words = sorted(
        {w.lower() for name in ("ws353", "simlex999") for p in load_word_pairs(name).pairs for w in p}
    )
    rng.shuffle(words)
    kept = words[: int(len(words) * 0.85)]  # the rest are OOV
    vocab = kept[:200] + [w.upper() for w in kept[:40]] + [w.capitalize() for w in kept[300:340]] + kept[200:]
    vocab = list(dict.fromkeys(vocab))
    return _kv(vocab, rng.normal(size=(len(vocab), 24)))


@pytest.mark.parametrize("name", ["ws353", "simlex999", "rg65"])
@pytest.mark.parametrize("restrict_vocab", [300_000, 500])
def test_parity_with_gensim_evaluate_word_pairs(
    random_kv: KeyedVectors, name: str, restrict_vocab: int
) -> None:
    path = str(BENCHMARKS[name].path)
    pearson, spearman, oov_ratio = random_kv.evaluate_word_pairs(path, restrict_vocab=restrict_vocab)
    ours = evaluate_word_similarity(random_kv, name, restrict_vocab=restrict_vocab)
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-9)
    assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)  # gensim's cosines are float32
    assert ours.oov_ratio == pytest.approx(oov_ratio, abs=1e-9)
    assert 0 < ours.oov_ratio < 100

    pearson, spearman, oov_ratio = random_kv.evaluate_word_pairs(
        path, restrict_vocab=restrict_vocab, dummy4unknown=True
    )
    zero = evaluate_word_similarity(random_kv, name, restrict_vocab=restrict_vocab, oov="zero")
    assert zero.spearman == pytest.approx(spearman.statistic, abs=1e-9)
    assert zero.pearson == pytest.approx(pearson.statistic, abs=1e-6)
    assert zero.oov_ratio == pytest.approx(oov_ratio, abs=1e-9)


def test_parity_case_sensitive(random_kv: KeyedVectors) -> None:
    path = str(BENCHMARKS["ws353"].path)
    pearson, spearman, oov_ratio = random_kv.evaluate_word_pairs(path, case_insensitive=False)
    ours = evaluate_word_similarity(random_kv, "ws353", case_insensitive=False)
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-9)
    assert ours.oov_ratio == pytest.approx(oov_ratio, abs=1e-9)


def test_shared_index_is_reused(random_kv: KeyedVectors) -> None:
    index = build_vocab_index(random_kv, restrict_vocab=1000)
    for name in ("ws353", "simlex999"):
        pearson, spearman, oov_ratio = random_kv.evaluate_word_pairs(str(BENCHMARKS[name].path), restrict_vocab=1000)
        ours = evaluate_word_similarity(index, name, restrict_vocab=10)  # the index's own settings win
        assert ours.restrict_vocab == 1000
        assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-9)
        assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)
        assert ours.oov_ratio == pytest.approx(oov_ratio, abs=1e-9)
