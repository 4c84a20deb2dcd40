"""CBOW with negative sampling, and X2Static, which is CBOW with a teacher's context vector.

Paper: Gupta & Jaggi, "Obtaining Better Static Word Embeddings Using Contextual Embedding Models",
ACL 2021, https://arxiv.org/abs/2106.04302 (X2Static); Mikolov et al. 2013 (CBOW).

Both models score a context vector c against a word's vector with ``negative_sampling_loss``; they
differ only in where c comes from:

- ``context="teacher"`` (X2Static): c is given (a frozen transformer's mean token state); the only
  table is ``target``, and it is the result.
- ``context="window"`` (CBOW): c is the mean of the ``context`` (input) vectors of the words around
  the target; the result is the input table, as in word2vec (``target`` is word2vec's output table,
  syn1neg).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import torch
from torch import nn

from embedlab.static.negative_sampling import negative_sampling_loss
from embedlab.train.settings_check import check_memory

ContextKind = Literal["teacher", "window"]


@dataclass
class CBOWConfig:
    """Shape and objective of a CBOW / X2Static model (saved next to the weights)."""

    vocab_size: int
    dim: int
    context: ContextKind = "teacher"
    negatives: int = 10
    clamp: float = 10.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class CBOW(nn.Module):
    """Static word vectors trained by negative sampling against a context vector.

    Args:
        config: sizes and the context kind.

    Example:
        >>> m = CBOW(CBOWConfig(vocab_size=5, dim=4, context="window", negatives=2))
        >>> ids = torch.tensor([[1, 2], [3, -1]]); tgt = torch.tensor([0, 4])
        >>> m(ids, tgt, torch.tensor([[1, 2], [3, 3]])).shape
        torch.Size([])
    """

    def __init__(self, config: CBOWConfig) -> None:
        super().__init__()
        self.config = config
        v, d = config.vocab_size, config.dim
        tables = 1 if config.context == "teacher" else 2
        # each table, its gradient rows and SparseAdam's two moments
        check_memory(4 * 4 * tables * v * d, f"a {v:,} x {d:,} word table", "lower --dim or raise --min-count")
        self.target = nn.Embedding(v, d, sparse=True)  # X2Static's static vectors; CBOW's output vectors
        if config.context == "teacher":
            nn.init.uniform_(self.target.weight, -1.0 / d, 1.0 / d)  # X2Static's init
            self.context: nn.Embedding | None = None
        else:
            self.context = nn.Embedding(v, d, sparse=True)  # word2vec's input vectors (syn0)
            nn.init.uniform_(self.context.weight, -0.5 / d, 0.5 / d)  # word2vec's init
            nn.init.zeros_(self.target.weight)

    def window_context(self, ids: torch.Tensor) -> torch.Tensor:
        """CBOW's context: the mean input vector of the window words.

        Args:
            ids: (B, W) word ids, -1 where a window is shorter.

        Returns:
            (B, d)
        """
        if self.context is None:
            raise ValueError("this model takes its context vectors from a teacher")
        mask = (ids >= 0).unsqueeze(-1).float()  # (B, W, 1)
        vecs = self.context(ids.clamp(min=0)) * mask  # (B, W, d)
        return vecs.sum(1) / mask.sum(1).clamp(min=1.0)  # (B, d)

    def forward(self, context: torch.Tensor, targets: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """Negative-sampling loss.

        Args:
            context: (B, d) teacher context vectors, or for CBOW (B, W) window word ids (-1 = none).
            targets: (B,) target word ids.
            negatives: (B, K) sampled word ids.

        Returns:
            scalar loss.
        """
        c = self.window_context(context) if self.context is not None else context  # (B, d)
        return negative_sampling_loss(c, self.target(targets), self.target(negatives),  # (B, d), (B, K, d)
                                      clamp=self.config.clamp)

    def word_vectors(self, which: Literal["result", "input", "output"] = "result") -> torch.Tensor:
        """(V, d) vectors: ``result`` is ``target`` for X2Static and ``context`` (input) for CBOW."""
        if which == "output" or (which == "result" and self.context is None):
            return self.target.weight.detach()
        if self.context is None:
            raise ValueError("an X2Static model has no input table")
        return self.context.weight.detach()
