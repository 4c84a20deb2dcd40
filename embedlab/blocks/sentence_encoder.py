"""The one encoder contract: sentence-transformers' ``encode`` for every embedlab model that turns
sentences into vectors.

A model implements ``embed(sentences, batch_size, show_progress_bar) -> (n, d) float32`` and
``get_sentence_embedding_dimension()``; ``SentenceEncoder.encode`` adds what sentence-transformers
users expect on top, in its order: truncate to ``truncate_dim`` dimensions, then L2-normalize when
asked, then quantize to ``precision``, then a torch tensor when asked. A ``str`` gives ``(d,)``, a
list ``(n, d)``, an empty list ``(0, d)``.

``quantize`` follows ``sentence_transformers.quantization.quantize_embeddings``: int8/uint8 cut each
dimension's range into 256 buckets (the range from ``ranges``, else from the embeddings themselves),
binary/ubinary pack the signs into bits (d / 8 bytes; binary shifted by -128 into int8).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import torch

from embedlab.errors import EmbedlabError

Precision = Literal["float32", "int8", "uint8", "binary", "ubinary"]
PRECISIONS: tuple[str, ...] = ("float32", "int8", "uint8", "binary", "ubinary")


def quantize(embeddings: np.ndarray, precision: str, ranges: np.ndarray | None = None) -> np.ndarray:
    """(n, d) float embeddings -> the ``precision`` kind (see the module docstring).

    Args:
        ranges: (2, d) per-dimension minimum and maximum for int8/uint8, from a representative set of
            embeddings; by default the embeddings' own (which needs at least two of them).

    Raises:
        EmbedlabError: an unknown precision, or int8 ranges asked of a single embedding.
    """
    if precision not in PRECISIONS:
        raise EmbedlabError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    embeddings = np.asarray(embeddings, dtype=np.float32)
    dim = embeddings.shape[-1]
    if precision == "float32":
        return embeddings
    if precision.endswith("binary"):
        if embeddings.shape[0] == 0:
            return np.zeros((0, (dim + 7) // 8), dtype=np.int8 if precision == "binary" else np.uint8)
        bits = np.packbits(embeddings > 0, axis=-1)                       # (n, ceil(d / 8)) uint8
        return (bits - 128).astype(np.int8) if precision == "binary" else bits
    if embeddings.shape[0] == 0:
        return np.zeros((0, dim), dtype=np.int8 if precision == "int8" else np.uint8)
    if ranges is None:
        if embeddings.shape[0] < 2:
            raise EmbedlabError(f"{precision} quantization needs per-dimension ranges: encode several sentences "
                                "at once, or pass ranges=(2, d) min/max from a representative set")
        ranges = np.vstack((embeddings.min(axis=0), embeddings.max(axis=0)))
    ranges = np.asarray(ranges, dtype=np.float32)
    if ranges.shape != (2, dim):
        raise EmbedlabError(f"ranges must have shape (2, {dim}), got {ranges.shape}")
    starts = ranges[0]
    steps = (ranges[1] - starts) / 255
    steps = np.where(steps == 0, 1, steps)
    buckets = np.clip(np.floor((embeddings - starts) / steps), 0, 255)
    return buckets.astype(np.uint8) if precision == "uint8" else (buckets - 128).astype(np.int8)


def cosine_matrix(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(n, d), (m, d) (or single (d,) vectors) -> (n, m) cosine similarities, as sentence-transformers'
    ``similarity`` returns them (a float32 tensor)."""
    ta = torch.as_tensor(np.asarray(a, dtype=np.float32) if not isinstance(a, torch.Tensor) else a).float()
    tb = torch.as_tensor(np.asarray(b, dtype=np.float32) if not isinstance(b, torch.Tensor) else b).float()
    ta, tb = ta.reshape(-1, ta.shape[-1]), tb.reshape(-1, tb.shape[-1])
    ta = ta / ta.norm(dim=1, keepdim=True).clamp(min=1e-12)
    tb = tb / tb.norm(dim=1, keepdim=True).clamp(min=1e-12)
    return ta @ tb.T


@runtime_checkable
class Encoder(Protocol):
    """What evaluators, the server and users rely on: sentence-transformers' ``encode`` semantics."""

    def encode(self, sentences: str | Sequence[str], *, batch_size: int = ..., show_progress_bar: bool | None = ...,
               normalize_embeddings: bool = ..., convert_to_tensor: bool = ..., precision: str = ...,
               truncate_dim: int | None = ...) -> Any: ...

    def get_sentence_embedding_dimension(self) -> int: ...


class SentenceEncoder:
    """Mixin: ``encode``, ``similarity`` and ``get_sentence_embedding_dimension`` from ``embed``.

    Subclasses implement ``embed`` (float vectors in input order, never normalized or truncated) and
    ``get_sentence_embedding_dimension``. ``encode_options`` lists extra keyword arguments ``embed``
    takes (e.g. the static bag's ``pooling``).
    """

    default_batch_size: int = 32

    def embed(self, sentences: list[str], *, batch_size: int, show_progress_bar: bool, **options: Any) -> np.ndarray:
        """(n, d) float32 sentence vectors, in input order."""
        raise NotImplementedError

    def get_sentence_embedding_dimension(self) -> int:
        raise NotImplementedError

    def encode(self, sentences: str | Sequence[str], *, batch_size: int | None = None,
               show_progress_bar: bool | None = None, normalize_embeddings: bool = False,
               convert_to_tensor: bool = False, convert_to_numpy: bool = True, precision: str = "float32",
               truncate_dim: int | None = None, ranges: np.ndarray | None = None, **options: Any) -> Any:
        """Sentence vectors, as sentence-transformers' ``SentenceTransformer.encode`` gives them.

        Args:
            sentences: one string (gives ``(d,)``) or a list (gives ``(n, d)``; empty gives ``(0, d)``).
            batch_size: sentences per forward pass (the model's default when None).
            show_progress_bar: a progress bar over batches.
            normalize_embeddings: L2-normalize each vector (after truncation).
            convert_to_tensor: a torch tensor instead of a numpy array.
            convert_to_numpy: accepted for sentence-transformers compatibility (numpy is the default).
            precision: float32, int8, uint8, binary or ubinary (see ``quantize``).
            truncate_dim: keep the first dimensions (Matryoshka-style).
            ranges: (2, d) calibration ranges for int8/uint8 (default: the batch's own).
            options: model-specific settings (the static bag's ``pooling``, ``sif_a``).

        Raises:
            EmbedlabError: a bad ``precision`` or ``truncate_dim``, or ``sentences`` not text.
        """
        del convert_to_numpy
        single = isinstance(sentences, str)
        if not single and not hasattr(sentences, "__iter__"):
            raise EmbedlabError(f"encode takes a string or a list of strings, got {type(sentences).__name__}")
        items: list[Any] = [sentences] if single else list(sentences)
        bad = next((t for t in items if not isinstance(t, str)), None)
        if bad is not None:
            raise EmbedlabError(f"encode takes strings; got a {type(bad).__name__} ({bad!r:.40})")
        texts: list[str] = items
        if precision not in PRECISIONS:
            raise EmbedlabError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
        dim = self.get_sentence_embedding_dimension()
        if truncate_dim is not None and not 0 < truncate_dim <= dim:
            raise EmbedlabError(f"truncate_dim must be in 1..{dim}, got {truncate_dim}")
        if texts:
            out = np.asarray(self.embed(texts, batch_size=batch_size or self.default_batch_size,
                                        show_progress_bar=bool(show_progress_bar), **options), dtype=np.float32)
        else:
            out = np.zeros((0, dim), dtype=np.float32)
        if truncate_dim is not None:
            out = np.ascontiguousarray(out[:, :truncate_dim])
        if normalize_embeddings:
            out = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        out = quantize(out, precision, ranges)
        if single:
            out = out[0]
        return torch.from_numpy(out) if convert_to_tensor else out

    def similarity(self, a: Any, b: Any) -> Any:
        """(n, d), (m, d) embeddings -> (n, m) cosine similarities (a tensor, as sentence-transformers)."""
        return cosine_matrix(a, b)
