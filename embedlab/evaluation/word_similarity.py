"""Word similarity: Spearman (and Pearson) of cosine similarity vs human scores.

Lookup is gensim's ``KeyedVectors.evaluate_word_pairs``: only the first ``restrict_vocab`` rows,
case-insensitive by default (keys upper-cased, the earliest row of a case variant wins). The OOV policy
is explicit:

- ``"skip"`` (default, gensim's behaviour): pairs with an unknown word are left out of the correlation;
- ``"zero"`` (gensim's ``dummy4unknown=True``): they get similarity 0 and stay in;
- ``fallback``: an optional ``word -> vector | None`` tried for unknown words before the policy applies
  (e.g. subword composition); words it resolves are listed in ``fallback_words``.

Zero and non-finite vectors never produce a score: such table rows are out of the vocabulary (see
``VocabIndex``), and a fallback vector that is zero or non-finite counts as no vector. Coverage (pairs
with both words resolved / all pairs) and the sorted OOV words are always reported.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy import stats

from embedlab.data.benchmarks import WordPairs, load_word_pairs
from embedlab.evaluation.protocols import VocabIndex, build_vocab_index
from embedlab.evaluation.results import WordSimilarityResult

logger = logging.getLogger(__name__)

OovPolicy = Literal["skip", "zero"]
Fallback = Callable[[str], "np.ndarray | None"]


def evaluate_word_similarity(
    vectors: Any,
    pairs: WordPairs | str | Path = "ws353",
    *,
    restrict_vocab: int | None = 300_000,
    case_insensitive: bool = True,
    oov: OovPolicy = "skip",
    fallback: Fallback | None = None,
) -> WordSimilarityResult:
    """Score word vectors on one word-similarity set.

    Args:
        vectors: a ``WordVectors`` (gensim ``KeyedVectors``, ``StaticEmbeddings``), anything
            ``as_word_vectors`` accepts, or a ``VocabIndex`` to reuse across sets (its settings win).
        pairs: loaded pairs, a registered name or a file path.
        restrict_vocab: only the first N rows are searched (gensim's default 300000); None for all.
        case_insensitive: match words whatever their case, like gensim.
        oov: ``"skip"`` or ``"zero"`` (see the module docstring).
        fallback: vector for a word missing from the table, or None.

    Returns:
        Spearman, Pearson, coverage and OOV words.

    Raises:
        ValueError: unknown ``oov`` policy, or a fallback vector of the wrong size.
        DataError: ``pairs`` names no readable set.

    Example:
        >>> from gensim.models import KeyedVectors  # doctest: +SKIP
        >>> r = evaluate_word_similarity(kv, "simlex999")  # doctest: +SKIP
        >>> r.spearman, r.coverage  # doctest: +SKIP
    """
    if oov not in ("skip", "zero"):
        raise ValueError(f"oov must be 'skip' or 'zero', got {oov!r}")
    data = pairs if isinstance(pairs, WordPairs) else load_word_pairs(pairs)
    index = build_vocab_index(vectors, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)
    resolver = _Resolver(index, fallback)

    covered: list[int] = []
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    for i, (w1, w2) in enumerate(data.pairs):
        v1, v2 = resolver(w1), resolver(w2)
        if v1 is not None and v2 is not None:
            covered.append(i)
            left.append(v1)
            right.append(v2)

    if oov == "zero":
        gold = data.scores
        model = np.zeros(len(data), dtype=np.float64)
        if covered:
            model[covered] = paired_cosines(np.stack(left), np.stack(right))
    else:
        gold = data.scores[covered]
        model = paired_cosines(np.stack(left), np.stack(right)) if covered else np.zeros(0)
    spearman, pearson = correlations(gold, model)
    if len(covered) < len(data):
        logger.info(
            "%s: %d/%d pairs have an out-of-vocabulary word (%s); oov=%r",
            data.name,
            len(data) - len(covered),
            len(data),
            sorted(resolver.oov)[:10],
            oov,
        )
    return WordSimilarityResult(
        dataset=data.name,
        spearman=spearman,
        pearson=pearson,
        n_pairs=len(data),
        n_covered=len(covered),
        oov_words=tuple(sorted(resolver.oov)),
        fallback_words=tuple(sorted(resolver.from_fallback)),
        oov=oov,
        restrict_vocab=index.restrict_vocab,
        case_insensitive=index.case_insensitive,
    )


def paired_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two (n, d) arrays, in float64; 0 where either row is all zeros.

    Example:
        >>> paired_cosines(np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 0.0]])).round(4)
        array([0.7071, 0.    ])
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    dots = np.einsum("ij,ij->i", a, b)
    return np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)


def correlations(gold: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    """Spearman and Pearson correlation; NaN (with a warning logged) when undefined.

    Undefined means fewer than two points or a constant input, where scipy would return NaN
    with its own warning.

    Example:
        >>> correlations(np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.3, 0.2]))
        (0.5, 0.5)
    """
    gold = np.asarray(gold, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    if len(gold) < 2 or np.ptp(gold) == 0 or np.ptp(predicted) == 0:
        logger.warning(
            "correlation undefined for %d points (fewer than 2, or constant): reporting NaN", len(gold)
        )
        return math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        spearman = float(stats.spearmanr(gold, predicted).statistic)
        pearson = float(stats.pearsonr(gold, predicted).statistic)
    return spearman, pearson


class _Resolver:
    """word -> vector (table first, then fallback), remembering what was missing or borrowed."""

    def __init__(self, index: VocabIndex, fallback: Fallback | None) -> None:
        self.index = index
        self.fallback = fallback
        self.oov: set[str] = set()
        self.from_fallback: set[str] = set()
        self._cache: dict[str, np.ndarray | None] = {}

    def __call__(self, word: str) -> np.ndarray | None:
        if word not in self._cache:
            self._cache[word] = self._resolve(word)
        return self._cache[word]

    def _resolve(self, word: str) -> np.ndarray | None:
        row = self.index.lookup(word)
        if row is not None:
            return self.index.vectors[row]
        vector = self.fallback(word) if self.fallback is not None else None
        if vector is not None:
            vector = np.asarray(vector, dtype=np.float32)
            if vector.shape != self.index.vectors.shape[1:]:
                raise ValueError(
                    f"fallback returned shape {vector.shape} for {word!r}, expected {self.index.vectors.shape[1:]}"
                )
            norm = float(np.linalg.norm(vector))
            if math.isfinite(norm) and norm > 0:
                self.from_fallback.add(word)
                return vector
            logger.warning("fallback vector for %r is zero or non-finite: counted as out-of-vocabulary", word)
        self.oov.add(word)
        return None
