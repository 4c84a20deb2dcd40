"""Fixtures of the HTTP tests: one server with googlenews-13k, minilm and tiny trained models."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import embedlab
from embedlab.static.embeddings import StaticEmbeddings

from .servers import Running, require_vectors, start_server


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory, tiny_corpus_path: Path) -> dict[str, Path]:
    """A tiny trained language model and autoencoder (for the decode and generate routes; for unit
    tests only: what they generate and decode means nothing)."""
    out = tmp_path_factory.mktemp("served")
    embedlab.train_lm(tiny_corpus_path, out=out / "lm", progress=False, emb=8, hidden=8, layers=1, max_tokens=400,
                      bptt=8, batch_size=4, eval_every=0)
    kv = embedlab.train_cbow(tiny_corpus_path, out=out / "cbow", dim=8, epochs=2, min_count=1, progress=False)
    embedlab.train_autoencoder(kv, tiny_corpus_path, out=out / "ae", progress=False, hidden=16, sentence_dim=16,
                               batch_size=8, max_steps=20, eval_every=0)
    return {"lm": out / "lm", "ae": out / "ae"}


@pytest.fixture(scope="session")
def server(tiny_models: dict[str, Path]) -> Iterator[Running]:
    """googlenews-13k and minilm, with a tiny language model and autoencoder, and small limits."""
    require_vectors()
    running = start_server("googlenews-13k", "minilm", "--name", f"lm={tiny_models['lm']}", "--name",
                           f"ae={tiny_models['ae']}", "--max-inputs", "64", "--max-input-chars", "2000",
                           "--max-body-bytes", "300000")
    yield running
    status, log = running.stop()
    assert status == -signal.SIGTERM, log  # uvicorn re-raises the signal after its graceful shutdown
    assert "Traceback" not in log, log


@pytest.fixture(scope="session")
def static() -> StaticEmbeddings:
    require_vectors()
    return embedlab.load_vectors("googlenews-13k")


@pytest.fixture(scope="session")
def minilm() -> Any:
    return embedlab.load("minilm")
