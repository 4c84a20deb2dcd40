"""Classification probe: stratified k-fold logistic regression on frozen embeddings, fixed seed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from embedlab.evaluation import ProbeEvaluator, evaluate_probe, probe_embeddings


def _data(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 5)) + 0.8 * y[:, None]  # overlapping classes: accuracy well below 100
    return x, y


def test_matches_sklearn_cross_validation() -> None:
    x, y = _data()
    result = probe_embeddings(x, y, folds=5, seed=11, C=0.5)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=11)
    expected = 100 * cross_val_score(LogisticRegression(C=0.5, max_iter=1000), x, y, cv=folds)
    assert result.fold_accuracies == pytest.approx(expected.tolist())
    assert result.accuracy == pytest.approx(expected.mean()) and result.accuracy_std == pytest.approx(
        expected.std()
    )
    assert 50 < result.accuracy < 100
    assert (result.n_samples, result.n_folds, result.seed, result.C) == (120, 5, 11, 0.5)


def test_separable_and_deterministic() -> None:
    x = np.r_[np.zeros((20, 2)), np.ones((20, 2))]
    y = [0] * 20 + [1] * 20
    assert probe_embeddings(x, y).accuracy == 100.0
    a, b = _data(seed=1)
    assert probe_embeddings(a, b) == probe_embeddings(a, b)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="do not match"):
        probe_embeddings(np.zeros((4, 2)), [0, 1, 0])
    with pytest.raises(ValueError, match="examples each"):
        probe_embeddings(np.zeros((12, 2)), [0] * 9 + [1] * 3)


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


def test_evaluator_contract() -> None:
    texts = ["good"] * 6 + ["bad"] * 6
    labels = [1] * 6 + [0] * 6
    evaluator = ProbeEvaluator((texts, labels), folds=3)
    encoder = HashEncoder()
    metrics = evaluator(encoder)
    assert evaluator.primary_metric == "<memory>_accuracy"
    assert metrics == {"<memory>_accuracy": 100.0, "<memory>_accuracy_std": 0.0}
    assert encoder.n_encoded == 2  # distinct texts only
