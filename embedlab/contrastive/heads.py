"""Projection heads used in training only (the encoder's own vector is what ``encode`` returns).

- ``mlp``: SimCSE's Linear(d, d) + tanh ("mlp_only_train").
- ``bn``: DiffCSE's Linear(d, 2d, no bias) -> BatchNorm -> ReLU -> Linear(2d, d, no bias) -> BatchNorm(affine=False).
- ``none``: the loss sees the sentence vectors themselves.
"""

from __future__ import annotations

from typing import Literal

from torch import nn

from embedlab.errors import EmbedlabError

Head = Literal["none", "mlp", "bn"]
HEADS: tuple[str, ...] = ("none", "mlp", "bn")


def make_head(kind: str, dim: int) -> nn.Module:
    """The training-only head of ``kind`` for ``dim``-sized sentence vectors."""
    if kind == "none":
        return nn.Identity()
    if kind == "mlp":
        return nn.Sequential(nn.Linear(dim, dim), nn.Tanh())
    if kind == "bn":
        return nn.Sequential(nn.Linear(dim, 2 * dim, bias=False), nn.BatchNorm1d(2 * dim), nn.ReLU(),
                             nn.Linear(2 * dim, dim, bias=False), nn.BatchNorm1d(dim, affine=False))
    raise EmbedlabError(f"unknown head {kind!r}; choose one of {', '.join(HEADS)}")
