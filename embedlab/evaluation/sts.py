"""Semantic textual similarity: Spearman (x100) of cosine(embedding(s1), embedding(s2)) vs gold.

As in SentEval and SimCSE: one score per set, plus their plain average (``mean_score``). All
distinct sentences of all the sets are encoded once, in batches. A sentence whose embedding is all
zeros (a bag of vectors whose words are all unknown) gets cosine 0 with anything; such sentences are
counted in ``n_zero_vectors``. An encoder that returns NaN raises instead of scoring.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedlab.data.benchmarks import STS_SETS, StsPairs, load_sts
from embedlab.evaluation.protocols import SentenceEncoder, encode_sentences
from embedlab.evaluation.results import StsResult, mean_score
from embedlab.evaluation.word_similarity import correlations, paired_cosines

logger = logging.getLogger(__name__)

StsInput = StsPairs | str | Path


def evaluate_sts(
    encoder: SentenceEncoder,
    dataset: StsInput = "sts12",
    *,
    batch_size: int = 256,
    encode_kwargs: Mapping[str, Any] | None = None,
) -> StsResult:
    """Score a sentence encoder on one STS set.

    Args:
        encoder: anything with ``encode(list[str]) -> (n, d)`` (sentence-transformers, model2vec, ...).
        dataset: loaded pairs, a registered name, or a file (plain, STS-B or SICK format).
        batch_size: sentences per ``encode`` call.
        encode_kwargs: extra keyword arguments for ``encode``.

    Returns:
        Spearman and Pearson x100.

    Raises:
        DataError: the set cannot be read.
        EmbedlabError: the encoder returned a wrong shape or NaN.

    Example:
        >>> from sentence_transformers import SentenceTransformer  # doctest: +SKIP
        >>> evaluate_sts(SentenceTransformer("all-MiniLM-L6-v2"), "sts14-headlines").spearman  # doctest: +SKIP
    """
    return evaluate_sts_sets(encoder, [dataset], batch_size=batch_size, encode_kwargs=encode_kwargs)[0]


def evaluate_sts_sets(
    encoder: SentenceEncoder,
    datasets: Sequence[StsInput] = STS_SETS,
    *,
    batch_size: int = 256,
    encode_kwargs: Mapping[str, Any] | None = None,
) -> list[StsResult]:
    """Score a sentence encoder on several STS sets, encoding every distinct sentence once.

    Args:
        encoder: anything with ``encode(list[str]) -> (n, d)``.
        datasets: loaded pairs, registered names or files.
        batch_size, encode_kwargs: see ``evaluate_sts``.

    Returns:
        One result per set, in the order given; ``mean_score(results)`` is the usual average.

    Raises:
        DataError: a set cannot be read.
        EmbedlabError: the encoder returned a wrong shape or NaN.

    Example:
        >>> results = evaluate_sts_sets(model)  # doctest: +SKIP
        >>> mean_score(results)  # doctest: +SKIP
    """
    if isinstance(datasets, str | Path):
        raise TypeError("datasets must be a sequence of sets; use evaluate_sts for a single set")
    sets = [d if isinstance(d, StsPairs) else load_sts(d) for d in datasets]
    sentences = [s for d in sets for s in (*d.sentences1, *d.sentences2)]
    embeddings = encode_sentences(encoder, sentences, batch_size=batch_size, encode_kwargs=encode_kwargs)
    zero = ~np.any(embeddings, axis=1)  # (n,)

    results = []
    offset = 0
    for d in sets:
        n = len(d)
        left = embeddings[offset : offset + n]
        right = embeddings[offset + n : offset + 2 * n]
        n_zero = int(zero[offset : offset + 2 * n].sum())
        offset += 2 * n
        if n_zero:
            logger.warning(
                "%s: %d sentence embeddings are all zeros; their cosines count as 0", d.name, n_zero
            )
        spearman, pearson = correlations(d.scores, paired_cosines(left, right))
        results.append(StsResult(d.name, 100.0 * spearman, 100.0 * pearson, n, n_zero))
        logger.info("%s: spearman x100 %.2f (%d pairs)", d.name, 100.0 * spearman, n)
    return results


def mean_spearman(results: Sequence[StsResult]) -> float:
    """Average Spearman x100 of STS results: ``mean_score`` (NaN sets left out, NaN if none)."""
    return mean_score(results)
