"""Sampling filters (temperature, top-k, top-p) and the Kneser-Ney trigram baseline, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from embedlab.errors import EmbedlabError
from embedlab.lm.generation import filter_logits, sample
from embedlab.lm.network import LMConfig, RNNLanguageModel
from embedlab.lm.ngram import KneserNeyTrigram


def test_top_p_keeps_the_smallest_set_reaching_p() -> None:
    logits = torch.tensor([0.5, 0.3, 0.15, 0.05]).log()
    probs = filter_logits(logits, top_p=0.7)
    torch.testing.assert_close(probs, torch.tensor([0.625, 0.375, 0.0, 0.0]))
    # exactly reaching p with the first token keeps it alone
    torch.testing.assert_close(filter_logits(logits, top_p=0.5), torch.tensor([1.0, 0.0, 0.0, 0.0]))


def test_top_k_and_temperature() -> None:
    logits = torch.tensor([2.0, 1.0, 0.0, -1.0])
    probs = filter_logits(logits, top_k=2)
    e = math.exp(1.0)
    torch.testing.assert_close(probs, torch.tensor([e / (e + 1), 1 / (e + 1), 0.0, 0.0]))
    hot = filter_logits(logits, temperature=2.0)
    torch.testing.assert_close(hot, torch.softmax(logits / 2, 0))
    assert filter_logits(logits, temperature=0).tolist() == [1.0, 0.0, 0.0, 0.0]
    with pytest.raises(EmbedlabError):
        filter_logits(logits, top_p=0.0)


def test_sampling_is_repeatable_with_a_seed_and_respects_bans_and_stop() -> None:
    torch.manual_seed(0)
    model = RNNLanguageModel(LMConfig(vocab_size=12, emb=6, hidden=6, layers=1))
    a = sample(model, [1, 2], max_tokens=20, seed=3)
    assert a == sample(model, [1, 2], max_tokens=20, seed=3) and len(a) == 20
    assert 0 not in sample(model, [1], max_tokens=200, seed=1, banned=(0,))
    stopped = sample(model, [1], max_tokens=500, seed=2, stop_id=5)
    assert stopped[-1] == 5 and 5 not in stopped[:-1]
    with pytest.raises(EmbedlabError, match="empty"):
        sample(model, [], max_tokens=3)


def test_kneser_ney_by_hand() -> None:
    # stream 0 1 0 1 0 2: trigrams 010 x2, 101, 102 -> D3 = 2/(2+2) = 0.5; every lower level has
    # D = 1 and is uniform (1/3). P(0|0,1) = (2-0.5)/2 + 0.5*1/2*1/3 = 5/6; P(2|0,1) = 0.25/3 = 1/12.
    lm = KneserNeyTrigram(3).fit(np.array([0, 1, 0, 1, 0, 2]))
    assert lm.d3 == pytest.approx(0.5)
    assert math.exp(lm.log_probs(np.array([0, 1, 0]))[0]) == pytest.approx(5 / 6)
    assert math.exp(lm.log_probs(np.array([0, 1, 2]))[0]) == pytest.approx(1 / 12)


def test_kneser_ney_is_a_distribution_in_seen_and_unseen_contexts() -> None:
    rng = np.random.default_rng(0)
    lm = KneserNeyTrigram(25).fit(rng.integers(0, 20, 3000))  # ids 20-24 never seen
    for a, b in [(0, 1), (7, 7), (22, 23), (3, 24)]:
        probs = [math.exp(lm.log_probs(np.array([a, b, c]))[0]) for c in range(25)]
        assert sum(probs) == pytest.approx(1.0) and min(probs) > 0
    assert lm.perplexity(rng.integers(0, 20, 500)) > 1
    with pytest.raises(EmbedlabError):
        KneserNeyTrigram(3).fit(np.array([0, 5, 1]))
