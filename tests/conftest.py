"""Shared fixtures: a tiny vector table."""

from __future__ import annotations

import os

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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """With EMBEDLAB_REQUIRE_DATA=1 (set by `python3 dev.py test`), a `needs_data` test that skips
    because its data is missing fails instead: the README's test command fetches that data, so a skip
    there would hide a broken fetch."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.get_closest_marker("needs_data") and os.environ.get("EMBEDLAB_REQUIRE_DATA") == "1":
        report.outcome = "failed"
        report.longrepr = f"needs_data test skipped although EMBEDLAB_REQUIRE_DATA=1: {report.longrepr}"
