"""Static word embeddings: the gensim ``KeyedVectors`` of embedlab.

One row per word, rows in decreasing frequency order when counts are known. Query like gensim
(``kv["word"]``, ``"word" in kv``, ``most_similar``, ``similarity``) and encode sentences like
model2vec, through the encoder contract (``embedlab.blocks.sentence_encoder``): each sentence is the
mean (or SIF-weighted mean) of its known words' vectors.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from embedlab.blocks.pretrained import CaseFoldLookup
from embedlab.blocks.sentence_encoder import SentenceEncoder, cosine_matrix
from embedlab.data.tokenize import WordTokenizer
from embedlab.errors import ModelFormatError

if TYPE_CHECKING:
    from embedlab.io.word2vec import UnicodeErrors

logger = logging.getLogger(__name__)

Pooling = Literal["mean", "sif"]
_EULER_GAMMA = 0.5772156649


class StaticEmbeddings(SentenceEncoder):
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
        self._lookup_table: CaseFoldLookup | None = None

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

    def similarity(self, w1: Any, w2: Any) -> Any:
        """Cosine similarity of two words (a float, as gensim); of two embedding arrays, the (n, m)
        matrix (a tensor, as sentence-transformers)."""
        if not (isinstance(w1, str) and isinstance(w2, str)):
            return cosine_matrix(w1, w2)
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

    default_batch_size = 1024

    def get_sentence_embedding_dimension(self) -> int:
        return self.dim

    def embed(self, sentences: list[str], *, batch_size: int = 1024, show_progress_bar: bool = False,
              pooling: Pooling = "mean", sif_a: float = 1e-3, **options: Any) -> np.ndarray:
        """(n, d) float32: each sentence the (``pooling``-weighted) mean of its known words' vectors.

        Unknown words are ignored; a sentence with no known word gets the zero vector. All
        sentences go through one bag sum (``batch_size`` and the progress bar have no effect).
        """
        del batch_size, show_progress_bar
        if options:
            raise TypeError(f"StaticEmbeddings.encode got unknown options {sorted(options)} (it takes pooling, sif_a)")
        return self.embed_tokens([self.tokenize(s) for s in sentences], pooling=pooling, sif_a=sif_a)

    def embed_tokens(self, token_lists: Sequence[Sequence[str]], *, pooling: Pooling = "mean",
                     sif_a: float = 1e-3) -> np.ndarray:
        """``embed`` of sentences already cut by ``tokenize`` (the server counts their tokens too)."""
        import torch
        import torch.nn.functional as F

        weights = self.word_weights(pooling, sif_a)
        ids: list[int] = []
        offsets = np.zeros(len(token_lists), dtype=np.int64)
        lookup = self._lookup()
        for row, tokens in enumerate(token_lists):
            offsets[row] = len(ids)
            ids.extend(lookup.rows(tokens))
        index = torch.as_tensor(np.asarray(ids, dtype=np.int64))
        bags = torch.from_numpy(offsets)
        table = torch.from_numpy(weights)
        # One weighted bag sum for all sentences: no per-sentence numpy calls, no (T, d) copy.
        sums = F.embedding_bag(index, torch.from_numpy(self._vectors), bags, mode="sum",
                               per_sample_weights=table[index])  # (n, d)
        totals = F.embedding_bag(index, table.unsqueeze(1), bags, mode="sum")  # (n, 1): each bag's weight
        return (sums / totals.clamp(min=1e-12)).numpy()

    def _lookup(self) -> CaseFoldLookup:
        """Rows of known tokens: the exact form, else any casing (the most frequent row wins)."""
        if self._lookup_table is None:
            self._lookup_table = CaseFoldLookup(self.index_to_key, self.key_to_index)
        return self._lookup_table

    # --- persistence -----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write an embedlab model folder (config.json + model.safetensors + tokenizer.json)."""
        from embedlab.data.vocab import Vocab
        from embedlab.io.folder import write_folder

        counts = self.counts if self.counts is not None else np.zeros(len(self), dtype=np.int64)
        vocab = Vocab.from_lists(self.index_to_key, counts, lowercase=self.lowercase)
        tensors = {"embeddings": self.vectors}
        if self.counts is not None:
            tensors["counts"] = self.counts
        config = {"model_type": "static", "dim": self.dim, "vocab_size": len(self), "lowercase": self.lowercase}
        return write_folder(path, config, tensors, vocab.to_tokenizer().to_str())

    @classmethod
    def from_folder(cls, folder: Path, config: dict[str, Any]) -> StaticEmbeddings:
        """The vectors of an embedlab ``static`` folder (``embedlab.load`` calls this)."""
        from embedlab.io.folder import read_tensors, read_word_table

        words, vectors = read_word_table(folder)
        if "dim" in config and (not isinstance(config["dim"], int) or vectors.shape[1] != config["dim"]):
            raise ModelFormatError(f"{folder}: config says dim {config['dim']!r} but embeddings have dim {vectors.shape[1]}")
        counts = read_tensors(folder).get("counts")
        return cls(words, vectors.astype(np.float32), counts, lowercase=bool(config.get("lowercase", True)),
                   source=str(folder))

    @classmethod
    def load(cls, path: str | Path) -> StaticEmbeddings:
        """An embedlab ``static`` folder or a word2vec file (``embedlab.load_vectors`` also opens .kv,
        model2vec folders and vectors dataset names)."""
        from embedlab.io.folder import read_config

        if Path(path).is_dir():
            return cls.from_folder(Path(path), read_config(path, expect="static"))
        return cls.load_word2vec_format(path)

    @classmethod
    def load_word2vec_format(cls, path: str | Path, *, binary: bool | None = None, limit: int | None = None,
                             unicode_errors: UnicodeErrors = "strict") -> StaticEmbeddings:
        """A word2vec text or binary file (``.gz``/``.bz2`` too), or headerless GloVe text, like gensim's
        ``KeyedVectors.load_word2vec_format`` (see ``embedlab.io.word2vec.read_word2vec``)."""
        from embedlab.io.word2vec import read_word2vec

        words, vectors = read_word2vec(path, binary=binary, limit=limit, unicode_errors=unicode_errors)
        # word2vec tables are usually case-sensitive (GoogleNews keeps "Paris" and "paris" apart)
        return cls(words, vectors, lowercase=False, source=str(path))

    def save_word2vec(self, path: str | Path, *, binary: bool = False) -> None:
        """Write word2vec text (or binary) that gensim's ``load_word2vec_format`` reads."""
        from embedlab.io.word2vec import save_word2vec

        save_word2vec(path, self.index_to_key, self._vectors, binary=binary)

    def save_model2vec(self, folder: str | Path, *, normalize: bool = True) -> Path:
        """Write a folder that model2vec's ``StaticModel.from_pretrained`` and ``SentenceTransformer``
        load as they are (see ``embedlab.io.portable``)."""
        from embedlab.io.portable import write_model2vec

        return write_model2vec(folder, self.index_to_key, self.vectors, self.counts, lowercase=self.lowercase,
                               source=self.source, normalize=normalize)
