"""Negative sampling (Mikolov et al. 2013), the objective of CBOW and of X2Static.

For a context vector c, the target's vector v_w and K sampled negatives v_n1..v_nK:

    loss = log(1 + exp(-c.v_w)) + sum_k log(1 + exp(c.v_nk))

with the dot products clamped to [-clamp, clamp] (as X2Static's code does) so one huge logit cannot
blow up a step. ``negative_sampling_loss`` is a pure function of tensors, testable by hand.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def negative_sampling_loss(
    context: torch.Tensor, positive: torch.Tensor, negatives: torch.Tensor, *, clamp: float = 10.0
) -> torch.Tensor:
    """Mean negative-sampling loss over a batch.

    Args:
        context: (B, d) context vectors c.
        positive: (B, d) target vectors v_w.
        negatives: (B, K, d) vectors of the sampled negatives.
        clamp: logits are clamped to [-clamp, clamp].

    Returns:
        scalar tensor.

    Example:
        >>> c = torch.tensor([[1.0, 0.0]]); v = torch.tensor([[2.0, 0.0]]); n = torch.zeros(1, 1, 2)
        >>> round(float(negative_sampling_loss(c, v, n)), 4)  # log(1+e^-2) + log(1+e^0)
        0.8201
    """
    pos = (context * positive).sum(-1).clamp(-clamp, clamp)  # (B,)
    neg = torch.einsum("bd,bkd->bk", context, negatives).clamp(-clamp, clamp)  # (B, K)
    return (F.softplus(-pos) + F.softplus(neg).sum(-1)).mean()


def keep_probabilities(counts: np.ndarray, t: float) -> np.ndarray:
    """Frequent-word subsampling: keep word w with probability min(1, sqrt(t/f_w) + t/f_w).

    f_w is the word's relative frequency. ``t <= 0`` keeps everything.

    Example:
        >>> keep_probabilities(np.array([1, 99]), t=0.01).round(3).tolist()
        [1.0, 0.111]
    """
    counts = np.asarray(counts, dtype=np.float64)
    if t <= 0:
        return np.ones_like(counts, dtype=np.float32)
    f = counts / max(counts.sum(), 1.0)
    with np.errstate(divide="ignore"):
        ratio = np.where(f > 0, t / f, np.inf)
    return np.minimum(1.0, np.sqrt(ratio) + ratio).astype(np.float32)


class NegativeSampler:
    """Draws negatives from the unigram distribution raised to ``power`` (X2Static: 0.5, word2vec: 0.75).

    Args:
        counts: (V,) word counts; words with count 0 are never drawn.
        power: exponent of the counts.
        generator: torch RNG (the training loop saves and restores its state).
    """

    def __init__(self, counts: np.ndarray, power: float = 0.5, generator: torch.Generator | None = None) -> None:
        weights = np.asarray(counts, dtype=np.float64) ** power
        if weights.sum() <= 0:
            raise ValueError("NegativeSampler needs at least one word with a positive count")
        cdf = np.cumsum(weights / weights.sum())
        cdf[-1] = 1.0
        self.cdf = torch.from_numpy(cdf)
        self.generator = generator

    def __call__(self, shape: tuple[int, ...]) -> torch.Tensor:
        """Word ids of the given shape (inverse-CDF sampling: O(log V) per draw, no big table)."""
        u = torch.rand(shape, generator=self.generator, dtype=torch.float64)
        return torch.searchsorted(self.cdf, u).clamp_(max=len(self.cdf) - 1)
