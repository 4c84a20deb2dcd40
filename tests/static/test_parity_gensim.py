"""Parity with gensim on real vectors: the GoogleNews 13k subset (fetched by `embedlab data fetch`).

The same ``KeyedVectors`` object goes to gensim and to embedlab (it satisfies the ``WordVectors``
protocol), so any difference comes from the evaluation code alone.
"""

from __future__ import annotations

import pytest
from gensim.models import KeyedVectors

from embedlab.data.benchmarks import BENCHMARKS
from embedlab.data.fetch import dataset_path
from embedlab.errors import DataError
from embedlab.evaluation import evaluate_analogies, evaluate_word_similarity

pytestmark = pytest.mark.needs_data


@pytest.fixture(scope="module")
def googlenews() -> KeyedVectors:
    try:
        path = dataset_path("googlenews-13k")
    except DataError as exc:
        pytest.skip(f"googlenews-13k is not fetched (run `embedlab data fetch googlenews-13k`): {exc}")
    return KeyedVectors.load_word2vec_format(str(path), binary=True)


@pytest.mark.parametrize("name", ["ws353", "simlex999"])
def test_word_similarity_matches_gensim(googlenews: KeyedVectors, name: str) -> None:
    pearson, spearman, oov_ratio = googlenews.evaluate_word_pairs(str(BENCHMARKS[name].path))
    ours = evaluate_word_similarity(googlenews, name)
    assert round(ours.spearman, 3) == round(float(spearman.statistic), 3)
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-6)
    assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)
    assert ours.oov_ratio == pytest.approx(oov_ratio, abs=1e-9)


def test_google_analogy_matches_gensim(googlenews: KeyedVectors) -> None:
    score, sections = googlenews.evaluate_word_analogies(str(BENCHMARKS["google"].path))
    ours = evaluate_analogies(googlenews, "google")
    total = sections[-1]
    assert ours.n_correct == len(total["correct"])
    assert ours.n_answered == len(total["correct"]) + len(total["incorrect"])
    assert round(ours.accuracy, 3) == round(score, 3)
    assert ours.accuracy == score
    for theirs, mine in zip(sections[:-1], ours.sections, strict=True):
        assert (mine.section, mine.n_correct) == (theirs["section"], len(theirs["correct"]))


def test_parity_holds_when_embedlab_reads_the_file(googlenews: KeyedVectors) -> None:
    """The whole embedlab path (its own word2vec reader + evaluators) against gensim's."""
    import embedlab

    ours = embedlab.load(dataset_path("googlenews-13k"))
    for name in ("ws353", "simlex999"):
        _, spearman, _ = googlenews.evaluate_word_pairs(str(BENCHMARKS[name].path))
        assert round(evaluate_word_similarity(ours, name).spearman, 3) == round(float(spearman.statistic), 3)
    score, _ = googlenews.evaluate_word_analogies(str(BENCHMARKS["google"].path))
    assert round(evaluate_analogies(ours, "google").accuracy, 3) == round(score, 3)
