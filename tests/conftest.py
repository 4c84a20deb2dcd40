"""Shared fixtures: a tiny vector table."""

from __future__ import annotations

import numpy as np
import pytest

from embedlab.models.static import StaticEmbeddings

WORDS = ["the", "king", "queen", "man", "woman", "prince", "princess", "apple", "pear", "car", "truck", "Paris"]


@pytest.fixture
def tiny_kv() -> StaticEmbeddings:
    """12 words, 16 dims, counts decreasing with the row (frequency order)."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(WORDS), 16)).astype(np.float32)
    counts = np.arange(len(WORDS), 0, -1) * 10
    return StaticEmbeddings(WORDS, vectors, counts, lowercase=False)
