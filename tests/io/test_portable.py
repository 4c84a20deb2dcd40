"""Export for model2vec and sentence-transformers: both libraries load the folder and agree with embedlab."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import embedlab
from embedlab.static.embeddings import StaticEmbeddings

SENTENCES = ["the king and the queen", "an apple, a pear!", "zzz unknown words only", "car truck car"]


@pytest.fixture
def kv() -> StaticEmbeddings:
    words = ["the", "king", "queen", "and", "an", "apple", "a", "pear", ",", "!", "car", "truck"]
    rng = np.random.default_rng(1)
    return StaticEmbeddings(words, rng.normal(size=(len(words), 8)), np.arange(12, 0, -1))


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12)


def test_model2vec_loads_the_export(tmp_path: Path, kv: StaticEmbeddings) -> None:
    model2vec = pytest.importorskip("model2vec")
    kv.save_model2vec(tmp_path / "m2v")
    model = model2vec.StaticModel.from_pretrained(str(tmp_path / "m2v"))
    theirs = model.encode(SENTENCES)
    ours = kv.encode(SENTENCES)
    known = np.linalg.norm(ours, axis=1) > 0
    np.testing.assert_allclose(_cos(theirs[known], ours[known]), 1.0, atol=1e-5)
    assert np.allclose(theirs[~known], 0)  # only unknown words: zero vector in both


def test_sentence_transformers_loads_the_export(tmp_path: Path, kv: StaticEmbeddings) -> None:
    st = pytest.importorskip("sentence_transformers")
    kv.save_model2vec(tmp_path / "m2v")
    model = st.SentenceTransformer(str(tmp_path / "m2v"), device="cpu")
    theirs = model.encode(SENTENCES[:2] + SENTENCES[3:])
    ours = kv.encode(SENTENCES[:2] + SENTENCES[3:])
    np.testing.assert_allclose(_cos(theirs, ours), 1.0, atol=1e-5)


def test_embedlab_reads_the_export_back(tmp_path: Path, kv: StaticEmbeddings) -> None:
    kv.save_model2vec(tmp_path / "m2v")
    back = embedlab.load(tmp_path / "m2v")
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_allclose(back.vectors, kv.vectors)
