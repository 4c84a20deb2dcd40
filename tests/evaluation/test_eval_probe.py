"""Classification probe: stratified k-fold logistic regression on frozen embeddings, fixed seed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import KFold

from embedlab.evaluation import ProbeEvaluator, evaluate_probe, probe_embeddings
from embedlab.evaluation.probe import check_folds


def _one_hard_point() -> tuple[np.ndarray, np.ndarray]:
    """10 points of class 0 at (-3, 0); 9 of class 1 at (3, 0) and one more of class 1 at (-3, 0)."""
    x = np.array([[-3.0, 0.0]] * 10 + [[3.0, 0.0]] * 9 + [[-3.0, 0.0]])
    y = np.array([0] * 10 + [1] * 10)
    return x, y


def test_one_hard_point_costs_exactly_one_fold() -> None:
    # 5 stratified folds of 2 + 2 examples. The class-1 point at (-3, 0) is always predicted 0: the fold
    # holding it scores 3/4, the four others 4/4. Mean 95, std (ddof 0) sqrt((20^2 + 4 * 5^2) / 5) = 10.
    x, y = _one_hard_point()
    result = probe_embeddings(x, y, folds=5, seed=3)
    assert sorted(result.fold_accuracies) == [75.0, 100.0, 100.0, 100.0, 100.0]
    assert result.accuracy == pytest.approx(95.0) and result.accuracy_std == pytest.approx(10.0)
    assert (result.n_samples, result.n_folds, result.seed, result.C) == (20, 5, 3, 1.0)


def test_folds_are_stratified() -> None:
    # Constant features: the probe can only predict the training majority, class 0. Stratified folds
    # hold 3 of class 0 and 1 of class 1 each, so every fold scores exactly 3/4.
    x = np.zeros((20, 3))
    y = np.array([0] * 15 + [1] * 5)
    result = probe_embeddings(x, y, folds=5, seed=1111)
    assert result.fold_accuracies == (75.0,) * 5 and result.accuracy_std == 0.0
    # The check has teeth: shuffled folds that ignore the classes do not all hold one example of class 1.
    unstratified = [int(y[test].sum()) for _, test in KFold(5, shuffle=True, random_state=1111).split(x)]
    assert unstratified != [1] * 5


def test_seed_decides_the_folds() -> None:
    x, y = _one_hard_point()
    assert probe_embeddings(x, y, folds=5, seed=7) == probe_embeddings(x, y, folds=5, seed=7)
    # which fold holds the hard point (the one at 75) depends on the seed
    hard_fold = {int(np.argmin(probe_embeddings(x, y, folds=5, seed=s).fold_accuracies)) for s in range(8)}
    assert len(hard_fold) > 1


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="do not match"):
        probe_embeddings(np.zeros((4, 2)), [0, 1, 0])
    with pytest.raises(ValueError, match=r"folds=4 is more than the smallest class has examples \(3; .*use folds=3"):
        probe_embeddings(np.zeros((12, 2)), [0] * 9 + [1] * 3, folds=4)
    for folds in (1, 0, -2):
        with pytest.raises(ValueError, match=rf"at least 2 .*folds={folds}: use folds=2 or more"):
            probe_embeddings(np.zeros((12, 2)), [0, 1] * 6, folds=folds)
    with pytest.raises(ValueError, match="add examples of the rarest class"):
        check_folds(2, [0, 0, 0, 1])
    with pytest.raises(ValueError, match="two classes"):
        check_folds(2, [1, 1, 1])


class HashEncoder:
    """A word's vector is fixed by its text; a sentence is the mean of its words."""

    def __init__(self) -> None:
        self.n_encoded = 0

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        self.n_encoded += len(sentences)
        out = []
        for s in sentences:
            vecs = [np.random.default_rng(sum(map(ord, w))).normal(size=8) for w in s.split()]
            out.append(np.mean(vecs, axis=0))
        return np.array(out)


def test_evaluate_probe_on_file_with_limit(tmp_path: Path) -> None:
    lines = [f"1\tgreat fun film {i}" for i in range(30)] + [f"0\tdull boring film {i}" for i in range(30)]
    path = tmp_path / "tiny.tsv"
    path.write_text("\n".join(lines) + "\n")
    encoder = HashEncoder()
    result = evaluate_probe(encoder, path, folds=3)
    assert result.dataset == "tiny" and result.n_samples == 60 and result.accuracy == 100.0
    limited = evaluate_probe(encoder, path, folds=3, limit=24)
    assert limited.n_samples == 24  # a random subset: both classes present although the file is sorted
    n_encoded = encoder.n_encoded
    with pytest.raises(ValueError, match="use folds=30"):
        evaluate_probe(encoder, path, folds=31)
    assert encoder.n_encoded == n_encoded  # refused before encoding anything


def test_evaluator_contract() -> None:
    texts = ["good"] * 6 + ["bad"] * 6
    labels = [1] * 6 + [0] * 6
    evaluator = ProbeEvaluator((texts, labels), folds=3)
    encoder = HashEncoder()
    metrics = evaluator(encoder)
    assert evaluator.primary_metric == "<memory>_accuracy"
    assert metrics == {"<memory>_accuracy": 100.0, "<memory>_accuracy_std": 0.0}
    assert encoder.n_encoded == 2  # distinct texts only
    with pytest.raises(ValueError, match="use folds=6"):
        ProbeEvaluator((texts, labels), folds=7)  # refused at construction
