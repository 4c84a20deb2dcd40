"""Pooled distillation (model2vec's recipe) and the teacher-vector fallback for unknown words.

Each vocabulary word goes through the teacher alone; its vector is the mean of the teacher's token
states. Optionally PCA to fewer dimensions and SIF re-weighting (a / (a + p(w)), p from corpus
counts or, without counts, Zipf's law over the rank), as model2vec does. No corpus is needed
beyond the word list.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedlab.errors import EmbedlabError
from embedlab.static.embeddings import StaticEmbeddings
from embedlab.teachers.contextual import Teacher
from embedlab.train.settings_check import check_values

logger = logging.getLogger(__name__)


def distill_pooled(
    teacher: Teacher,
    words: Sequence[str],
    counts: np.ndarray | Sequence[int] | None = None,
    *,
    pca_dims: int | None = None,
    sif_a: float | None = None,
    progress: bool = False,
) -> StaticEmbeddings:
    """Static vectors from the teacher used per word.

    Args:
        teacher: the frozen teacher.
        words: the vocabulary (most frequent first when there are no counts and SIF is used).
        counts: corpus counts for SIF weights (optional).
        pca_dims: reduce to this many dimensions with PCA (``None``: keep the teacher's size).
        sif_a: apply SIF weights a / (a + p(w)) to the rows (model2vec uses 1e-4); ``None``: none.

    Raises:
        EmbedlabError: no words, ``sif_a`` not above 0, or ``pca_dims`` larger than the data allows.
    """
    check_values({"sif_a": "--sif"}, sif_a=sif_a)
    words = list(words)
    if not words:
        raise EmbedlabError("pooled distillation needs at least one word")
    kv = StaticEmbeddings(words, teacher.word_vectors(words, progress=progress), counts,
                          source=f"pooled({teacher.name})")
    if pca_dims is not None:
        kv = reduce_dims(kv, pca_dims)
    vectors = kv.vectors
    if sif_a is not None:
        weights = kv.word_weights("sif", sif_a=sif_a)
        kv = StaticEmbeddings(words, vectors * weights[:, None], counts, source=kv.source)
    return kv


def corpus_vocabulary(texts: Iterable[str], min_count: int, *, max_sentences: int | None = None,
                      progress: bool = True) -> tuple[list[str], list[int]]:
    """The words occurring at least ``min_count`` times in the first ``max_sentences`` sentences,
    most frequent first (ties alphabetical, so the order is reproducible), with their counts."""
    from itertools import islice

    from embedlab.data.tokenize import WordTokenizer
    from embedlab.static.context_cache import count_words

    check_values(min_count=min_count, max_sentences=max_sentences)
    counts = count_words(islice(texts, max_sentences), WordTokenizer(), progress)
    kept = sorted(((w, c) for w, c in counts.items() if c >= min_count), key=lambda wc: (-wc[1], wc[0]))
    return [w for w, _ in kept], [c for _, c in kept]


def claim_pooled(out: str | Path, teacher: str, words: Sequence[str], counts: Sequence[int],
                 settings: dict[str, Any], overwrite: bool) -> None:
    """Claim ``out`` for a pooled distillation (``embedlab.train.run_folder``) before the teacher runs:
    its data is the vocabulary with its counts."""
    from embedlab.train.run_folder import RunIdentity, claim_folder, fingerprint

    data = fingerprint([*words, "", *map(str, counts)], "vocabulary entries")
    claim_folder(out, RunIdentity("pooled", {"teacher": teacher, **settings}, data), overwrite=overwrite)


def check_pca_dim(dim: int, available: int) -> None:
    """PCA can keep 1 to ``available`` (the teacher's) dimensions."""
    if not 1 <= dim <= available:
        raise EmbedlabError(f"--dim must be between 1 and the teacher's {available} dimensions, got {dim}")


def reduce_dims(kv: StaticEmbeddings, dim: int) -> StaticEmbeddings:
    """PCA of the table to ``dim`` dimensions (a no-op when it equals the table's).

    Raises:
        EmbedlabError: ``dim`` below 1 or above the table's dimension, or fewer words than ``dim``.
    """
    check_pca_dim(dim, kv.dim)
    if dim == kv.dim:
        return kv
    if dim > len(kv):
        raise EmbedlabError(f"PCA to {dim} dims needs at least that many words (have {len(kv)})")
    from sklearn.decomposition import PCA

    reduced = PCA(n_components=dim, random_state=0).fit_transform(kv.vectors).astype(np.float32)
    return StaticEmbeddings(kv.index_to_key, reduced, kv.counts, lowercase=kv.lowercase,
                            source=f"{kv.source} (PCA {dim})")


def add_fallback(kv: StaticEmbeddings, teacher: Teacher, words: Iterable[str], *, align: bool = True,
                 fit_words: int = 20_000, ridge: float = 1.0) -> StaticEmbeddings:
    """Extend ``kv`` with a teacher-based vector for every word in ``words`` it lacks.

    This is embedlab's out-of-vocabulary policy for distilled vectors: a word outside the corpus
    vocabulary gets its pooled teacher vector (the word through the teacher alone), mapped into
    ``kv``'s space by a linear map fitted (ridge least squares) from the pooled vectors of ``kv``'s
    ``fit_words`` first words to their rows in ``kv``. Without the map (``align=False``) the raw
    pooled vectors sit in a different space from trained vectors, and cosines across the two are
    meaningless.

    Raises:
        EmbedlabError: ``align=False`` and ``kv`` and the teacher have different sizes.
    """
    norm = (lambda w: w.lower()) if kv.lowercase else (lambda w: w)
    missing = list(dict.fromkeys(norm(w) for w in words if w and norm(w) not in kv))
    if not missing:
        return kv
    logger.info("adding teacher vectors for %d words outside the vocabulary", len(missing))
    extra = teacher.word_vectors(missing)
    if align:
        fit = kv.index_to_key[:fit_words]
        pooled = teacher.word_vectors(fit).astype(np.float64)  # (n, d_teacher)
        target = kv.vectors[: len(fit)].astype(np.float64)  # (n, d)
        gram = pooled.T @ pooled + ridge * np.eye(pooled.shape[1])
        extra = (extra @ np.linalg.solve(gram, pooled.T @ target)).astype(np.float32)  # (m, d)
    elif kv.dim != teacher.dim:
        raise EmbedlabError(f"fallback without alignment needs vectors of the teacher's size {teacher.dim}, "
                            f"these have {kv.dim}")
    counts = None if kv.counts is None else np.concatenate([kv.counts, np.zeros(len(missing), dtype=kv.counts.dtype)])
    return StaticEmbeddings(list(kv.index_to_key) + missing, np.vstack([kv.vectors, extra]), counts,
                            lowercase=kv.lowercase, source=f"{kv.source} + teacher fallback")


def encode_words(encoder: Any, words: Sequence[str], *, batch_size: int = 256, show_progress: bool = False) -> StaticEmbeddings:
    """The teacher used per word: each word encoded alone by any sentence encoder, as ``StaticEmbeddings``.

    This is the "teacher per word" baseline of the word-similarity tables (and model2vec's idea).
    """
    words = list(dict.fromkeys(words))
    if not words:
        raise EmbedlabError("encode_words needs at least one word")
    vectors = encoder.encode(words, batch_size=batch_size, show_progress_bar=show_progress)
    return StaticEmbeddings(words, np.asarray(vectors, dtype=np.float32), lowercase=False, source="teacher per word")
