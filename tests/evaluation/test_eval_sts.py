"""STS: Spearman x100 of cosine vs gold, one encode pass over distinct sentences, clear failures."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from embedlab.data.benchmarks import StsPairs
from embedlab.errors import EmbedlabError
from embedlab.evaluation import (
    STSEvaluator,
    StsResult,
    encode_sentences,
    evaluate_sts,
    evaluate_sts_sets,
    mean_spearman,
)
from embedlab.evaluation.results import mean_score

SQ = 1 / math.sqrt(2)


class LookupEncoder:
    """Encodes from a fixed table and records every call."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table
        self.calls: list[list[str]] = []

    def encode(self, sentences: Sequence[str], **kwargs: Any) -> np.ndarray:
        self.calls.append(list(sentences))
        return np.array([self.table[s] for s in sentences], dtype=np.float32)


TABLE: dict[str, list[float]] = {
    "a": [1, 0],
    "b": [1, 1],
    "c": [0, 1],
    "d": [-1, 0],
    "z": [0, 0],
    "n": [math.nan, 1],
}


def _sts(name: str, pairs: list[tuple[str, str]], gold: list[float]) -> StsPairs:
    return StsPairs(name, [p[0] for p in pairs], [p[1] for p in pairs], np.asarray(gold, dtype=np.float64))


def test_hand_computed_scores() -> None:
    # cosines: (a,b) 1/sqrt2, (a,c) 0, (a,d) -1, (b,c) 1/sqrt2 (a tie), (b,d) -1/sqrt2
    data = _sts("hand", [("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")], [4, 3, 0, 5, 1])
    result = evaluate_sts(LookupEncoder(TABLE), data)
    cosines = [SQ, 0, -1, SQ, -SQ]
    assert result.spearman == pytest.approx(100 * stats.spearmanr([4, 3, 0, 5, 1], cosines).statistic)
    assert result.pearson == pytest.approx(100 * stats.pearsonr([4, 3, 0, 5, 1], cosines).statistic)
    assert result.n_pairs == 5 and result.n_zero_vectors == 0 and result.dataset == "hand"


def test_distinct_sentences_encoded_once_in_batches() -> None:
    encoder = LookupEncoder(TABLE)
    sets = [
        _sts("one", [("a", "b"), ("a", "c"), ("b", "d")], [3, 2, 1]),
        _sts("two", [("a", "b"), ("c", "d"), ("d", "a")], [1, 2, 3]),
    ]
    results = evaluate_sts_sets(encoder, sets, batch_size=3)
    flat = [s for call in encoder.calls for s in call]
    assert sorted(flat) == ["a", "b", "c", "d"] and all(len(c) <= 3 for c in encoder.calls)
    assert [r.dataset for r in results] == ["one", "two"]
    assert results[0].spearman == pytest.approx(100 * stats.spearmanr([3, 2, 1], [SQ, 0, -SQ]).statistic)
    assert results[1].spearman == pytest.approx(100 * stats.spearmanr([1, 2, 3], [SQ, 0, -1]).statistic)
    # hand: spearman(3,2,1 ; .71,0,-.71) = 1 and spearman(1,2,3 ; .71,0,-1) = -1
    assert [r.spearman for r in results] == [pytest.approx(100.0), pytest.approx(-100.0)]
    assert mean_spearman(results) == pytest.approx(0.0)
    with pytest.raises(TypeError, match="evaluate_sts"):
        evaluate_sts_sets(encoder, "sts12")


def test_zero_embeddings_count_and_score_zero(caplog: pytest.LogCaptureFixture) -> None:
    data = _sts("z", [("a", "b"), ("a", "z"), ("a", "d"), ("b", "c")], [3, 2, 0, 4])
    with caplog.at_level(logging.WARNING):
        result = evaluate_sts(LookupEncoder(TABLE), data)
    assert result.n_zero_vectors == 1 and "all zeros" in caplog.text
    assert result.spearman == pytest.approx(100 * stats.spearmanr([3, 2, 0, 4], [SQ, 0, -1, SQ]).statistic)


def test_mean_leaves_out_nan_sets() -> None:
    results = [StsResult("a", 70.0, 0.0, 9), StsResult("b", math.nan, 0.0, 9), StsResult("c", 80.0, 0.0, 9)]
    assert mean_spearman(results) == pytest.approx(75.0) == mean_score(results)
    assert math.isnan(mean_spearman([StsResult("b", math.nan, 0.0, 9)])) and math.isnan(mean_spearman([]))


class ProgressEncoder(LookupEncoder):
    """Takes ``show_progress_bar`` (and batches itself), like sentence-transformers."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        super().__init__(table)
        self.kwargs: list[dict[str, Any]] = []

    def encode(self, sentences: Sequence[str], show_progress_bar: bool | None = None, **kwargs: Any) -> np.ndarray:
        self.kwargs.append({"show_progress_bar": show_progress_bar, **kwargs})
        return super().encode(sentences)


def test_the_calls_do_not_depend_on_the_log_level(caplog: pytest.LogCaptureFixture,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # An encoder's last bits can depend on the batch a sentence is in (a score once moved by 0.01 with -v).
    sentences = ["a", "b", "c", "d", "a"]
    quiet = ProgressEncoder(TABLE)
    with caplog.at_level(logging.WARNING, logger="embedlab.evaluation.protocols"):
        encode_sentences(quiet, sentences, batch_size=2)
    assert quiet.calls == [["a", "b"], ["c", "d"]] and quiet.kwargs == [{"show_progress_bar": None}] * 2
    assert "encoding" not in capsys.readouterr().err
    with caplog.at_level(logging.INFO, logger="embedlab.evaluation.protocols"):
        verbose = ProgressEncoder(TABLE)
        out = encode_sentences(verbose, sentences, batch_size=2)
        assert verbose.calls == quiet.calls and verbose.kwargs == quiet.kwargs
        assert out.tolist() == [TABLE[s] for s in sentences]
        assert "encoding" in capsys.readouterr().err  # one bar over all the calls
        chosen = ProgressEncoder(TABLE)  # the caller's own settings pass through
        encode_sentences(chosen, sentences, batch_size=2, encode_kwargs={"show_progress_bar": False})
        assert chosen.kwargs == [{"show_progress_bar": False}] * 2


def test_nan_or_wrong_shape_raises() -> None:
    with pytest.raises(EmbedlabError, match="NaN"):
        evaluate_sts(LookupEncoder(TABLE), _sts("n", [("a", "n"), ("a", "b")], [1, 2]))

    class Flat:
        def encode(self, sentences: Sequence[str]) -> np.ndarray:
            return np.zeros(len(sentences))

    with pytest.raises(EmbedlabError, match="shape"):
        encode_sentences(Flat(), ["x"])


def test_torch_output_and_kwargs() -> None:
    torch = pytest.importorskip("torch")

    class TorchEncoder:
        def encode(self, sentences: Sequence[str], normalize: bool = False) -> Any:
            assert normalize
            return torch.tensor([TABLE[s] for s in sentences])

    out = encode_sentences(TorchEncoder(), ["a", "b", "a"], encode_kwargs={"normalize": True})
    assert out.tolist() == [[1, 0], [1, 1], [1, 0]]


def test_stsb_file_and_registered_set(tmp_path: Path) -> None:
    path = tmp_path / "sts-dev.csv"
    path.write_text("g\tf\t2012\t0\t4.0\ta\tb\ng\tf\t2012\t1\t1.0\ta\td\textra\ng\tf\t2012\t2\t2.0\tb\tc\n")
    result = evaluate_sts(LookupEncoder(TABLE), path)
    assert result.dataset == "sts-dev"
    assert result.spearman == pytest.approx(100 * stats.spearmanr([4, 1, 2], [SQ, -1, SQ]).statistic)


def test_evaluator_contract() -> None:
    sets = [_sts("one", [("a", "b"), ("a", "c"), ("b", "d")], [3, 2, 1])]
    evaluator = STSEvaluator(sets, name="dev")
    metrics = evaluator(LookupEncoder(TABLE))
    assert evaluator.primary_metric == "dev_spearman_mean"
    assert set(metrics) == {"dev_one_spearman", "dev_one_pearson", "dev_spearman_mean"}
    assert metrics["dev_spearman_mean"] == pytest.approx(100.0)
