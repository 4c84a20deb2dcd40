"""Static word embeddings: the gensim ``KeyedVectors`` of embedlab.

One row per word, rows in decreasing frequency order when counts are known. Query like gensim
(``kv["word"]``, ``"word" in kv``, ``most_similar``, ``similarity``) and encode sentences like
model2vec (``encode(list[str]) -> (n, d)``, mean or SIF-weighted).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from embedlab.data.tokenize import WordTokenizer
from embedlab.errors import ModelFormatError

logger = logging.getLogger(__name__)

Pooling = Literal["mean", "sif"]
_EULER_GAMMA = 0.5772156649


class StaticEmbeddings:
    """A table of word vectors with optional counts.

    Args:
        words: the keys, one per row.
        vectors: (V, d) array (stored as float32).
        counts: optional (V,) corpus counts, used by SIF weighting.
        lowercase: whether the table's keys are lower-cased (recorded in the saved tokenizer).
            ``encode`` looks each word up as written, then in any casing.
        source: where the vectors came from (for messages).

    Raises:
        ModelFormatError: shape mismatch, or NaN/inf in the vectors.

    Example:
        >>> kv = StaticEmbeddings(["king", "queen"], np.eye(2))
        >>> kv.similarity("king", "queen")
        0.0
    """

    def __init__(
        self,
        words: Sequence[str],
        vectors: np.ndarray,
        counts: np.ndarray | Sequence[int] | None = None,
        *,
        lowercase: bool = True,
        source: str = "<memory>",
    ) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ModelFormatError(f"{source}: vectors must be 2-D (V, d), got shape {vectors.shape}")
        if len(words) != vectors.shape[0]:
            raise ModelFormatError(f"{source}: {len(words)} words but {vectors.shape[0]} vectors")
        finite = np.isfinite(vectors).all(axis=1)
        if not finite.all():
            bad = [words[i] for i in np.flatnonzero(~finite)[:5]]
            raise ModelFormatError(
                f"{source}: {int((~finite).sum())} vectors contain NaN or inf (first: {bad}); fix or drop those rows"
            )
        counts_arr = None if counts is None else np.asarray(counts, dtype=np.int64)
        if counts_arr is not None and counts_arr.shape != (len(words),):
            raise ModelFormatError(f"{source}: {len(words)} words but counts have shape {counts_arr.shape}")
        key_to_index: dict[str, int] = {}
        keep: list[int] = []
        for i, w in enumerate(words):
            if w not in key_to_index:
                key_to_index[w] = len(keep)
                keep.append(i)
        if len(keep) < len(words):
            logger.warning("%s: dropped %d duplicate words (kept the first occurrence)", source, len(words) - len(keep))
            vectors = vectors[keep]
            counts_arr = None if counts_arr is None else counts_arr[keep]
        self.index_to_key: list[str] = [words[i] for i in keep]
        self.key_to_index = key_to_index
        self._vectors = np.ascontiguousarray(vectors)
        self.counts = counts_arr
        self.lowercase = lowercase
        self.source = source
        self._norms: np.ndarray | None = None
        # Text keeps its case; ``_lookup`` tries the exact word first, then any casing.
        self._tokenizer = WordTokenizer(lowercase=False)
        self._folded: dict[str, int] | None = None

    # --- the gensim-like query API ---------------------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        """(V, d) float32 array, row i belonging to ``index_to_key[i]``."""
        return self._vectors

    @property
    def dim(self) -> int:
        return int(self._vectors.shape[1])

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __getitem__(self, word: str | Sequence[str]) -> np.ndarray:
        """The vector of a word (d,) or of several words (n, d)."""
        if isinstance(word, str):
            return self._vectors[self._index(word)]
        return self._vectors[[self._index(w) for w in word]]

    def __repr__(self) -> str:
        return f"StaticEmbeddings(vocab={len(self)}, dim={self.dim}, source={self.source!r})"

    def _index(self, word: str) -> int:
        try:
            return self.key_to_index[word]
        except KeyError:
            raise KeyError(f"word {word!r} not in vocabulary ({len(self)} words)") from None

    def unit_vectors(self) -> np.ndarray:
        """(V, d) rows scaled to unit length (zero rows stay zero); computed once."""
        if self._norms is None:
            norms = np.linalg.norm(self._vectors, axis=1, keepdims=True)
            self._norms = self._vectors / np.where(norms == 0, 1, norms)
        return self._norms

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words."""
        unit = self.unit_vectors()
        return float(unit[self._index(w1)] @ unit[self._index(w2)])

    def most_similar(
        self,
        positive: str | Sequence[str | np.ndarray] | np.ndarray | None = None,
        negative: Sequence[str | np.ndarray] | None = None,
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """Nearest words by cosine to ``mean(unit(positive)) - mean(unit(negative))``, like gensim.

        Words given as queries are excluded from the answer.

        Example:
            >>> kv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)  # doctest: +SKIP
            [('queen', 0.71)]
        """
        if positive is None:
            positive = []
        elif isinstance(positive, (str, np.ndarray)):
            positive = [positive]
        negative = list(negative or [])
        if not positive and not negative:
            raise ValueError("most_similar needs at least one positive or negative word")
        if topn < 0:
            raise ValueError(f"topn must be >= 0, got {topn}")
        unit = self.unit_vectors()
        query = np.zeros(self.dim, dtype=np.float32)
        exclude: set[int] = set()
        for items, sign in ((positive, 1.0), (negative, -1.0)):
            for item in items:
                if isinstance(item, str):
                    idx = self._index(item)
                    exclude.add(idx)
                    query += sign * unit[idx]
                else:
                    vec = np.asarray(item, dtype=np.float32)
                    if vec.shape != (self.dim,) or not np.isfinite(vec).all():
                        raise ValueError(f"a query vector must be finite with shape ({self.dim},), got shape {vec.shape}")
                    query += sign * vec / (np.linalg.norm(vec) or 1.0)
        query /= np.linalg.norm(query) or 1.0
        limit = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
        scores = unit[:limit] @ query
        for idx in exclude:
            if idx < limit:
                scores[idx] = -np.inf
        k = min(topn, limit)
        top = np.argpartition(-scores, k - 1)[:k] if k < limit else np.arange(limit)
        top = top[np.argsort(-scores[top])]
        return [(self.index_to_key[i], float(scores[i])) for i in top if np.isfinite(scores[i])]

    # --- sentence encoding -----------------------------------------------------------------------
    def word_weights(self, pooling: Pooling = "mean", sif_a: float = 1e-3) -> np.ndarray:
        """Per-row weights: ones for ``mean``; ``a / (a + p(w))`` for ``sif`` (Arora et al. 2017).

        p(w) comes from ``counts``; without counts it is Zipf's estimate from the row rank,
        p(r) = 1 / ((r + 1) * H_V), which assumes rows are sorted by frequency.
        """
        if pooling == "mean":
            return np.ones(len(self), dtype=np.float32)
        if pooling != "sif":
            raise ValueError(f"unknown pooling {pooling!r}; use 'mean' or 'sif'")
        if self.counts is not None and self.counts.sum() > 0:
            p = self.counts / self.counts.sum()
        else:
            harmonic = math.log(max(len(self), 1)) + _EULER_GAMMA
            p = 1.0 / ((np.arange(len(self)) + 1) * harmonic)
        return (sif_a / (sif_a + p)).astype(np.float32)

    def tokenize(self, sentence: str) -> list[str]:
        return self._tokenizer.tokenize(sentence)

    def encode(
        self,
        sentences: str | Sequence[str],
        *,
        pooling: Pooling = "mean",
        sif_a: float = 1e-3,
        normalize: bool = False,
        batch_size: int | None = None,
        show_progress_bar: bool | None = None,
        convert_to_numpy: bool = True,
    ) -> np.ndarray:
        """Embed sentences as the (weighted) mean of their known words' vectors.

        Unknown words are ignored; a sentence with no known word gets the zero vector.
        ``batch_size``, ``show_progress_bar`` and ``convert_to_numpy`` are accepted (and have no
        effect) so this can stand in for a sentence-transformers model.

        Returns:
            (n, d) float32 array (a single string gives (1, d)).
        """
        if isinstance(sentences, str):
            sentences = [sentences]
        del batch_size, show_progress_bar, convert_to_numpy  # sentence-transformers compatibility only
        import torch
        import torch.nn.functional as F

        weights = self.word_weights(pooling, sif_a)
        ids: list[int] = []
        offsets = np.zeros(len(sentences), dtype=np.int64)
        for row, sentence in enumerate(sentences):
            offsets[row] = len(ids)
            ids.extend(self._lookup(self.tokenize(sentence)))
        index = torch.as_tensor(np.asarray(ids, dtype=np.int64))
        bags = torch.from_numpy(offsets)
        table = torch.from_numpy(weights)
        # One weighted bag sum for all sentences: no per-sentence numpy calls, no (T, d) copy.
        sums = F.embedding_bag(index, torch.from_numpy(self._vectors), bags, mode="sum",
                               per_sample_weights=table[index])  # (n, d)
        totals = F.embedding_bag(index, table.unsqueeze(1), bags, mode="sum")  # (n, 1): each bag's weight
        out = (sums / totals.clamp(min=1e-12)).numpy()
        if normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.where(norms == 0, 1, norms)
        return out

    def _lookup(self, tokens: Sequence[str]) -> list[int]:
        """Row ids of known tokens: the exact form, else any casing (the most frequent row wins)."""
        if self._folded is None:
            folded: dict[str, int] = {}
            for i, word in enumerate(self.index_to_key):
                folded.setdefault(word.lower(), i)
            self._folded = folded
        exact, folded_ = self.key_to_index, self._folded
        ids = []
        for tok in tokens:
            idx = exact.get(tok)
            if idx is None:
                idx = folded_.get(tok.lower())
            if idx is not None:
                ids.append(idx)
        return ids

    # --- persistence -----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write an embedlab model folder (config.json + model.safetensors + tokenizer.json)."""
        from embedlab.io.folder import save_static

        return save_static(self, path)

    @classmethod
    def load(cls, path: str | Path) -> StaticEmbeddings:
        """Read an embedlab folder, or a word2vec ``.txt``/``.vec``/``.bin`` file."""
        from embedlab.io.folder import load_vectors

        return load_vectors(path)

    def save_word2vec(self, path: str | Path, *, binary: bool = False) -> None:
        """Write word2vec text (or binary) that gensim's ``load_word2vec_format`` reads."""
        from embedlab.io.word2vec import save_word2vec

        save_word2vec(path, self.index_to_key, self._vectors, binary=binary)
