"""The two losses, as pure functions of tensors.

- ``info_nce``: SimCSE's contrastive loss. Row i of ``anchors`` must pick its own positive among all
  positives (and all hard negatives) by cosine similarity / temperature, cross-entropy over the
  batch: the other sentences (of every rank, under torchrun) are the negatives.
- ``rtd_loss``: DiffCSE's replaced-token detection, binary cross-entropy over the scored positions.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def info_nce(anchors: torch.Tensor, positives: torch.Tensor, temperature: float = 0.05,
             hard_negatives: torch.Tensor | None = None, *, first_target: int = 0) -> torch.Tensor:
    """anchors (B, d), positives (P, d), optional hard_negatives (N, d) -> scalar loss.

    logits[i, j] = cos(a_i, p_j) / t for j < P, then cos(a_i, n_j) / t; the target of row i is column
    ``first_target + i``. P = B and ``first_target`` 0 for one process; under torchrun the positives
    (and hard negatives) of every rank are stacked and ``first_target`` is where this rank's begin.
    """
    a = F.normalize(anchors, dim=-1)
    logits = a @ F.normalize(positives, dim=-1).T                          # (B, P)
    if hard_negatives is not None:
        logits = torch.cat([logits, a @ F.normalize(hard_negatives, dim=-1).T], dim=1)  # (B, P + N)
    target = torch.arange(a.size(0), device=a.device) + first_target
    return F.cross_entropy(logits / temperature, target)


def rtd_loss(logits: torch.Tensor, replaced: torch.Tensor, scored: torch.Tensor) -> torch.Tensor:
    """logits (B, L), replaced (B, L) bool targets, scored (B, L) bool positions -> mean BCE over scored ones."""
    keep = scored.bool()
    if not bool(keep.any()):
        return logits.sum() * 0.0  # keeps the graph (and DDP's gradient bookkeeping) intact
    return F.binary_cross_entropy_with_logits(logits[keep], replaced[keep].to(logits.dtype))
