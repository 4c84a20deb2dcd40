"""SentEval-style classification probe: frozen sentence embeddings -> logistic regression.

Stratified k-fold cross-validation (10 folds, shuffled with a fixed seed) of scikit-learn's
``LogisticRegression`` on the embeddings, accuracy x100 as mean and standard deviation (ddof 0) over
the folds. The encoder is never trained; only the probe is. Unlike SentEval, C is fixed (no inner
grid search), so runs are cheap and comparable.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from embedlab.data.benchmarks import BENCHMARKS, load_classification
from embedlab.evaluation.protocols import SentenceEncoder, encode_sentences
from embedlab.evaluation.results import ProbeResult

logger = logging.getLogger(__name__)

ProbeData = str | Path | tuple[Sequence[str], Sequence[int] | np.ndarray]


def evaluate_probe(
    encoder: SentenceEncoder,
    dataset: ProbeData = "mr",
    *,
    folds: int = 10,
    seed: int = 1111,
    C: float = 1.0,
    max_iter: int = 1000,
    limit: int | None = None,
    batch_size: int = 256,
    encode_kwargs: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> ProbeResult:
    """Embed a classification set with ``encoder`` and cross-validate a logistic-regression probe.

    Args:
        encoder: anything with ``encode(list[str]) -> (n, d)``.
        dataset: ``"mr"``, a ``label<TAB>text`` file, or ``(texts, labels)``.
        folds, seed, C, max_iter: see ``probe_embeddings``.
        limit: use a random subset of this many examples (drawn with ``seed``), for quick runs.
        batch_size, encode_kwargs: passed to the encoder (see ``encode_sentences``).
        name: the dataset name in the result; default: the registered name or file stem.

    Returns:
        Mean and std accuracy x100 over the folds.

    Raises:
        DataError: the set cannot be read (``"mr"`` not fetched yet).
        ValueError: ``folds`` does not suit the classes (see ``check_folds``), checked before encoding.

    Example:
        >>> evaluate_probe(model, "mr").accuracy  # doctest: +SKIP
    """
    texts, labels, default_name = probe_data(dataset)
    if limit is not None and limit < len(texts):
        # Random, not the first N: label files are often sorted by class.
        keep = np.sort(np.random.default_rng(seed).permutation(len(texts))[:limit])
        texts, labels = [texts[i] for i in keep], labels[keep]
    check_folds(folds, labels)  # before encoding, which may take a while
    embeddings = encode_sentences(encoder, texts, batch_size=batch_size, encode_kwargs=encode_kwargs)
    return probe_embeddings(
        embeddings, labels, folds=folds, seed=seed, C=C, max_iter=max_iter, name=name or default_name
    )


def probe_data(dataset: ProbeData) -> tuple[list[str], np.ndarray, str]:
    """``(texts, labels, name)`` of a registered set, a ``label<TAB>text`` file or ``(texts, labels)``.

    Raises:
        DataError: the set cannot be read.

    Example:
        >>> probe_data((["good", "bad"], [1, 0]))[2]
        '<memory>'
    """
    if isinstance(dataset, tuple):
        return list(dataset[0]), np.asarray(dataset[1]), "<memory>"
    texts, labels = load_classification(dataset)
    return (
        texts,
        labels,
        dataset if isinstance(dataset, str) and dataset in BENCHMARKS else Path(dataset).stem,
    )


def probe_embeddings(
    embeddings: np.ndarray,
    labels: np.ndarray | Sequence[int],
    *,
    folds: int = 10,
    seed: int = 1111,
    C: float = 1.0,
    max_iter: int = 1000,
    name: str = "<memory>",
) -> ProbeResult:
    """Cross-validated accuracy of a logistic-regression probe on fixed features.

    Args:
        embeddings: (n, d) features.
        labels: (n,) class labels.
        folds: stratified folds (shuffled with ``seed``).
        seed: fold shuffling and solver seed (SentEval's default 1111).
        C: inverse L2 regularization strength.
        max_iter: solver iterations.
        name: dataset name for the result.

    Returns:
        The probe result.

    Raises:
        ValueError: shape mismatch, or ``folds`` does not suit the classes (see ``check_folds``).

    Example:
        >>> x = np.r_[np.zeros((20, 2)), np.ones((20, 2))]
        >>> probe_embeddings(x, [0] * 20 + [1] * 20).accuracy
        100.0
    """
    x = np.asarray(embeddings, dtype=np.float64)
    y = np.asarray(labels)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"embeddings {x.shape} and labels {y.shape} do not match")
    check_folds(folds, y)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    probe = LogisticRegression(C=C, max_iter=max_iter, random_state=seed)
    scores = 100.0 * cross_val_score(probe, x, y, cv=splitter, scoring="accuracy")
    result = ProbeResult(
        dataset=name,
        accuracy=float(scores.mean()),
        accuracy_std=float(scores.std()),
        fold_accuracies=tuple(float(s) for s in scores),
        n_samples=len(y),
        n_folds=folds,
        seed=seed,
        C=C,
    )
    logger.info(
        "%s probe: accuracy x100 %.2f +- %.2f (%d folds)", name, result.accuracy, result.accuracy_std, folds
    )
    return result


def check_folds(folds: int, labels: np.ndarray | Sequence[int]) -> None:
    """Check that stratified ``folds``-fold cross-validation can split ``labels``.

    Raises:
        ValueError: ``folds < 2``, fewer than two classes, or a class with fewer than ``folds`` members;
            the message says which ``folds`` would work.

    Example:
        >>> check_folds(3, [0, 0, 1, 1])
        Traceback (most recent call last):
        ...
        ValueError: folds=3 is more than the smallest class has examples (2; class counts [2, 2]): use folds=2
    """
    if folds < 2:
        raise ValueError(f"folds must be at least 2 for cross-validation, got folds={folds}: use folds=2 or more")
    classes, counts = np.unique(np.asarray(labels), return_counts=True)
    if len(classes) < 2:
        raise ValueError(f"a probe needs at least two classes, got {classes.tolist()}")
    smallest = int(counts.min())
    if smallest < folds:
        fix = f"use folds={smallest}" if smallest >= 2 else "add examples of the rarest class (2 or more each)"
        raise ValueError(
            f"folds={folds} is more than the smallest class has examples "
            f"({smallest}; class counts {counts.tolist()}): {fix}"
        )
