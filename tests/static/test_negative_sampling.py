"""Negative sampling: the loss against a hand computation, subsampling and the sampler's distribution."""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.stats import chisquare

from embedlab.static.negative_sampling import NegativeSampler, keep_probabilities, negative_sampling_loss


def _softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_loss_matches_hand_computation() -> None:
    c = torch.tensor([[1.0, 2.0], [0.5, -1.0]])
    v = torch.tensor([[0.5, 0.25], [2.0, 1.0]])
    n = torch.tensor([[[1.0, 0.0], [0.0, -1.0]], [[3.0, 3.0], [-1.0, 0.0]]])
    expected = []
    for b in range(2):
        pos = float(c[b] @ v[b])
        negs = [float(c[b] @ n[b, k]) for k in range(2)]
        expected.append(_softplus(-pos) + sum(_softplus(x) for x in negs))
    got = float(negative_sampling_loss(c, v, n))
    assert abs(got - sum(expected) / 2) < 1e-6


def test_loss_clamps_huge_logits() -> None:
    c = torch.tensor([[100.0]])
    v = torch.tensor([[-100.0]])  # logit -1e4: clamped to -10
    n = torch.tensor([[[100.0]]])  # logit 1e4: clamped to 10
    got = float(negative_sampling_loss(c, v, n, clamp=10.0))
    assert abs(got - 2 * _softplus(10.0)) < 1e-5


def test_keep_probabilities_formula() -> None:
    counts = np.array([5000, 100, 1, 0])
    t = 1e-3
    f = counts / counts.sum()
    got = keep_probabilities(counts, t)
    for i in range(3):
        assert abs(got[i] - min(1.0, math.sqrt(t / f[i]) + t / f[i])) < 1e-6
    assert got[3] == 1.0  # an unseen word is never dropped (it never occurs anyway)
    assert (keep_probabilities(counts, 0.0) == 1).all()


def test_sampler_follows_counts_to_the_power() -> None:
    counts = np.array([400, 100, 25, 0, 1])
    sampler = NegativeSampler(counts, power=0.5, generator=torch.Generator().manual_seed(0))
    draws = sampler((200_000,)).numpy()
    observed = np.bincount(draws, minlength=len(counts))
    assert observed[3] == 0  # count 0 is never drawn
    p = counts**0.5 / (counts**0.5).sum()
    keep = p > 0
    _, pvalue = chisquare(observed[keep], p[keep] * len(draws))
    assert pvalue > 1e-3
