"""SimCSE (Gao et al., 2021, "SimCSE: Simple Contrastive Learning of Sentence Embeddings").

Unsupervised: every sentence goes through the encoder twice in one pass; dropout makes the two views
differ, and each view must pick its own twin among all the batch's other views (``info_nce``, cosine
similarity / temperature 0.05, cross-entropy). Supervised: (anchor, positive, hard negative) triplets,
the hard negatives joining the candidates. A training-only head (``heads.py``) sits between the
encoder and the loss; ``encode`` returns the encoder's vector before it. Under torchrun the positives
of every rank are gathered, so N ranks of batch B train like one batch of N x B, as in SimCSE's
multi-GPU training. docs/METHODS.md E has the equations and the paper's numbers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from embedlab.contrastive.encoder import TrainableEncoder
from embedlab.train.loop import gather_rows


def views(encoder: TrainableEncoder, ids: torch.Tensor, attention: torch.Tensor, *, pairs: int = 0,
          triplets: int = 0) -> tuple[torch.Tensor, int]:
    """The sentence vectors of a batch and its size B.

    Unsupervised: ids/attention (B, L) are encoded twice -> h (2B, d). Supervised: they already hold
    ``pairs`` anchors then positives (then hard negatives when ``triplets``) -> h (2B or 3B, d).
    """
    if pairs or triplets:
        return encoder(ids, attention), pairs or triplets                            # (2B or 3B, d)
    return encoder(torch.cat([ids, ids]), torch.cat([attention, attention])), ids.size(0)  # (2B, d)


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


def simcse_loss(z: torch.Tensor, b: int, *, temperature: float, triplets: bool = False) -> tuple[torch.Tensor, int]:
    """z (2B or 3B, d) the head's outputs of ``views`` -> (loss, candidates per anchor over all ranks).

    Rows [0, B) are the anchors, [B, 2B) their positives, [2B, 3B) the hard negatives.
    """
    positives, first = gather_rows(z[b:2 * b])                                     # (world * B, d)
    negatives = gather_rows(z[2 * b:])[0] if triplets else None
    loss = info_nce(z[:b], positives, temperature, negatives, first_target=first)
    return loss, positives.size(0) + (0 if negatives is None else negatives.size(0))
