"""The two things evaluation knows about: word vectors and sentence encoders.

Evaluators depend only on these protocols, so they score anyone's embeddings: embedlab's own
``StaticEmbeddings``, a gensim ``KeyedVectors``, a model2vec ``StaticModel`` (through
``as_word_vectors``) or a sentence-transformers model.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol, runtime_checkable

import numpy as np
from tqdm.auto import tqdm

from embedlab.errors import EmbedlabError
from embedlab.train.settings_check import check_values

logger = logging.getLogger(__name__)

_NORM_CHUNK = 1 << 16


@runtime_checkable
class WordVectors(Protocol):
    """A table of word vectors, row ``i`` belonging to ``index_to_key[i]``.

    Rows are expected in decreasing frequency order where frequencies are known (as in gensim and
    word2vec files): ``restrict_vocab=N`` means "the N first rows", and when two keys differ only in
    case the earlier row wins in case-insensitive evaluation.
    gensim's ``KeyedVectors`` satisfies this protocol as it is.
    """

    index_to_key: list[str]
    key_to_index: dict[str, int]

    @property
    def vectors(self) -> np.ndarray:  # (V, d)
        ...


@runtime_checkable
class SentenceEncoder(Protocol):
    """Anything with ``encode(list[str]) -> np.ndarray (n, d)``.

    sentence-transformers' ``SentenceTransformer``, model2vec's ``StaticModel`` and embedlab's
    ``StaticEmbeddings`` all satisfy it.
    """

    def encode(self, sentences: Sequence[str], **kwargs: Any) -> Any: ...


@dataclass
class ArrayWordVectors:
    """The plain ``WordVectors``: keys plus a (V, d) array, built by ``as_word_vectors``."""

    index_to_key: list[str]
    key_to_index: dict[str, int]
    vectors: np.ndarray  # (V, d)


def as_word_vectors(obj: Any) -> WordVectors:
    """Adapt common word-vector containers to the ``WordVectors`` protocol.

    Accepted: anything already satisfying it (gensim ``KeyedVectors``, embedlab ``StaticEmbeddings``),
    a model2vec ``StaticModel`` (its ``tokens`` and ``embedding``; rows follow the tokenizer's ids, not
    frequencies), or a ``dict[str, vector]`` (insertion order is taken as frequency order).

    Args:
        obj: the container.

    Returns:
        ``obj`` itself when it already satisfies the protocol, else an ``ArrayWordVectors``.

    Raises:
        TypeError: an unsupported object.
        ValueError: vectors of different sizes, or a key/row count mismatch.

    Example:
        >>> wv = as_word_vectors({"king": np.ones(3), "queen": np.ones(3)})
        >>> wv.key_to_index["queen"], wv.vectors.shape
        (1, (2, 3))
    """
    if isinstance(obj, WordVectors):
        return obj
    if isinstance(obj, Mapping):
        keys = [str(k) for k in obj]
        if not keys:
            raise ValueError("cannot build word vectors from an empty mapping")
        sizes = {np.shape(v) for v in obj.values()}
        if len(sizes) != 1 or len(next(iter(sizes))) != 1:
            raise ValueError(f"all vectors must be 1-D and of one size, got shapes {sorted(sizes)[:5]}")
        return _from_arrays(keys, np.stack([np.asarray(v, dtype=np.float32) for v in obj.values()]))
    if hasattr(obj, "tokens") and hasattr(obj, "embedding"):  # model2vec StaticModel (0.4 - 0.10)
        table = np.asarray(obj.embedding, dtype=np.float32)
        # Vocabulary-quantized models map each token to a shared row and scale it by a weight.
        mapping = getattr(obj, "token_mapping", None)
        if mapping is not None:
            table = table[np.asarray(mapping)]
        weights = getattr(obj, "weights", None)
        if weights is not None:
            table = table * np.asarray(weights, dtype=np.float32)[:, None]
        return _from_arrays([str(t) for t in obj.tokens], table)
    raise TypeError(
        f"cannot use {type(obj).__name__} as word vectors: expected index_to_key/key_to_index/vectors "
        "(gensim KeyedVectors, StaticEmbeddings), a model2vec StaticModel, or a dict of vectors"
    )


def _from_arrays(keys: list[str], table: np.ndarray) -> ArrayWordVectors:
    if table.ndim != 2 or table.shape[0] != len(keys):
        raise ValueError(f"{len(keys)} keys but vectors of shape {table.shape}")
    key_to_index: dict[str, int] = {}
    for i, key in enumerate(keys):
        key_to_index.setdefault(key, i)
    return ArrayWordVectors(keys, key_to_index, table)


@dataclass(frozen=True)
class VocabIndex:
    """What word-level evaluators look words up in: the first ``restrict_vocab`` rows, case-folded.

    Built by ``build_vocab_index``. Mirrors gensim's ``evaluate_word_pairs`` / ``evaluate_word_analogies``
    lookup: keys are upper-cased when case-insensitive and the earliest row of a folded key wins.
    One deliberate difference: rows whose vector is zero, NaN or inf (``valid`` false) are left out of
    the lookup, so their words count as out-of-vocabulary instead of yielding NaN cosines.

    Attributes:
        keys: the row keys, ``index_to_key[:R]``.
        vectors: (R, d) float32 rows (a view of the source table when it is float32 already).
        norms: (R,) float32 L2 norms, computed as gensim's ``fill_norms``.
        valid: (R,) bool, finite non-zero norm.
        index: folded key -> row.
        case_insensitive: whether keys are folded with ``str.upper``.
        restrict_vocab: the row limit asked for (None: all rows).
    """

    keys: Sequence[str]
    vectors: np.ndarray
    norms: np.ndarray
    valid: np.ndarray
    index: dict[str, int]
    case_insensitive: bool
    restrict_vocab: int | None

    @property
    def invalid_keys(self) -> list[str]:
        """Keys of the rows left out for a zero or non-finite vector."""
        return [self.keys[i] for i in np.flatnonzero(~self.valid).tolist()]

    @cached_property
    def canonical(self) -> np.ndarray:
        """(R,) int64: for each row, the row its folded key resolves to (-1 if none).

        Two rows with the same folded key (``"Paris"``, ``"PARIS"``) share a canonical row, which is how
        analogy evaluation excludes every case variant of the question words, as gensim does.
        """
        return np.fromiter(
            (self.index.get(self.fold(k), -1) for k in self.keys), dtype=np.int64, count=len(self.keys)
        )

    def fold(self, word: str) -> str:
        """The lookup form of ``word``."""
        return word.upper() if self.case_insensitive else word

    def lookup(self, word: str) -> int | None:
        """Row of ``word`` or None when it is out of the (restricted, valid) vocabulary."""
        return self.index.get(self.fold(word))

    def unit(self, rows: np.ndarray | Sequence[int]) -> np.ndarray:
        """Unit-length float32 vectors of ``rows``: (n, d)."""
        rows = np.asarray(rows, dtype=np.int64)
        return self.vectors[rows] / self.norms[rows, None]


def build_vocab_index(
    vectors: Any, *, restrict_vocab: int | None = 300_000, case_insensitive: bool = True
) -> VocabIndex:
    """Index the first ``restrict_vocab`` rows of ``vectors`` for case-folded lookup.

    Evaluators call this once per model; pass them the index to share it across datasets.

    Args:
        vectors: anything ``as_word_vectors`` accepts; a ``VocabIndex`` is returned as it is (its
            own settings win).
        restrict_vocab: only the first N rows (gensim's default 300000); None for all.
        case_insensitive: fold with ``str.upper``; the earliest valid row of a folded key wins.

    Returns:
        The index; invalid rows are logged once as a warning.

    Raises:
        ValueError: ``restrict_vocab < 0``.

    Example:
        >>> idx = build_vocab_index(as_word_vectors({"Paris": np.ones(2), "paris": np.zeros(2)}))
        >>> idx.lookup("PARIS"), idx.invalid_keys
        (0, ['paris'])
    """
    if isinstance(vectors, VocabIndex):
        return vectors
    if restrict_vocab is not None and restrict_vocab < 0:
        raise ValueError(f"restrict_vocab must be >= 0 (or None for every row), got {restrict_vocab}")
    vectors = as_word_vectors(vectors)
    keys = vectors.index_to_key if restrict_vocab is None else vectors.index_to_key[:restrict_vocab]
    table = np.asarray(vectors.vectors)[: len(keys)]
    if table.dtype != np.float32:
        table = table.astype(np.float32)
    norms = np.empty(len(keys), dtype=np.float32)
    # Same reduction as gensim's fill_norms (np.linalg.norm per row) so cosines round alike; chunked to
    # bound the temporary.
    for start in range(0, len(keys), _NORM_CHUNK):
        norms[start : start + _NORM_CHUNK] = np.linalg.norm(table[start : start + _NORM_CHUNK], axis=1)
    valid = np.isfinite(norms) & (norms > 0)
    index: dict[str, int] = {}
    for i in np.flatnonzero(valid).tolist():
        index.setdefault(keys[i].upper() if case_insensitive else keys[i], i)
    result = VocabIndex(keys, table, norms, valid, index, case_insensitive, restrict_vocab)
    if not valid.all():
        bad = result.invalid_keys
        logger.warning(
            "%d vectors are zero or non-finite and count as out-of-vocabulary (first: %s)", len(bad), bad[:5]
        )
    return result


def encode_sentences(
    encoder: SentenceEncoder,
    sentences: Sequence[str],
    *,
    batch_size: int = 256,
    encode_kwargs: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Embed sentences, each distinct sentence exactly once, ``batch_size`` sentences per ``encode`` call.

    The calls are the same whatever the log level, so a score never depends on it (an encoder's
    vectors can differ in the last bits with the batch a sentence is in, enough to swap near-tied
    ranks). When INFO logging is on, one progress bar counts the sentences over all the calls.

    Args:
        encoder: anything with ``encode(list[str]) -> (n, d)`` (numpy or torch on CPU).
        sentences: may repeat; duplicates are encoded once and copied.
        batch_size: sentences per ``encode`` call.
        encode_kwargs: extra keyword arguments for ``encode`` (e.g. ``{"show_progress_bar": False}``).

    Returns:
        (len(sentences), d) float32, row ``i`` for ``sentences[i]``.

    Raises:
        EmbedlabError: the encoder returned the wrong shape or non-finite values.

    Example:
        >>> class Bag:
        ...     def encode(self, s): return np.array([[len(x), 1.0] for x in s])
        >>> encode_sentences(Bag(), ["ab", "c", "ab"]).tolist()
        [[2.0, 1.0], [1.0, 1.0], [2.0, 1.0]]
    """
    check_values(batch_size=batch_size)
    unique = list(dict.fromkeys(sentences))
    kwargs = dict(encode_kwargs or {})
    parts = []
    with tqdm(total=len(unique), desc="encoding", unit=" sentences", leave=False,
              disable=not logger.isEnabledFor(logging.INFO)) as bar:
        for start in range(0, len(unique), batch_size):
            batch = unique[start : start + batch_size]
            out = encoder.encode(batch, **kwargs)
            if hasattr(out, "detach"):  # a torch tensor
                out = out.detach().cpu().numpy()
            out = np.asarray(out, dtype=np.float32)
            if out.ndim != 2 or out.shape[0] != len(batch):
                raise EmbedlabError(
                    f"{type(encoder).__name__}.encode returned shape {out.shape} for {len(batch)} sentences; "
                    "expected (n, d)"
                )
            parts.append(out)
            bar.update(len(batch))
    table = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
    bad = ~np.isfinite(table).all(axis=1)
    if bad.any():
        first = [unique[i][:80] for i in np.flatnonzero(bad)[:3]]
        raise EmbedlabError(
            f"{type(encoder).__name__}.encode returned NaN/inf for {int(bad.sum())} sentences (first: {first})"
        )
    position = {s: i for i, s in enumerate(unique)}
    return table[[position[s] for s in sentences]]


