"""Shared fixtures: a tiny vector table."""

from __future__ import annotations

import os

import numpy as np
import pytest
from reliability.tiny_teacher import write_tiny_teacher

from embedlab.static.embeddings import StaticEmbeddings

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


RESOURCES = __import__("pathlib").Path(__file__).resolve().parents[1] / "embedlab" / "data" / "resources"


@pytest.fixture(scope="session")
def tiny_corpus_path():  # type: ignore[no-untyped-def]
    """The vendored 400-line public-domain corpus."""
    return RESOURCES / "tiny_corpus.txt"


@pytest.fixture(scope="session")
def tiny_teacher_dir(tmp_path_factory: pytest.TempPathFactory, tiny_corpus_path):  # type: ignore[no-untyped-def]
    """A random 1-layer, 16-dim BERT with a WordPiece vocabulary of the tiny corpus, saved as a
    Hugging Face folder (model + tokenizer.json). For unit tests only: its vectors mean nothing."""
    pytest.importorskip("transformers")
    return write_tiny_teacher(tmp_path_factory.mktemp("tiny_teacher"), tiny_corpus_path)
