"""Pooled distillation and the out-of-vocabulary fallback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedlab.static.embeddings import StaticEmbeddings
from embedlab.static.pooled import add_fallback, distill_pooled
from embedlab.teachers.contextual import load_teacher

WORDS = ["whale", "sea", "ship", "captain", "harpoon", "boat", "water", "ocean", "sail", "deck", "storm", "wind",
         "fish", "island", "coast", "voyage", "crew", "mast", "anchor", "wave"]


def test_pooled_rows_are_the_teacher_per_word(tiny_teacher_dir: Path) -> None:
    teacher = load_teacher(tiny_teacher_dir, device="cpu")
    kv = distill_pooled(teacher, WORDS[:5])
    np.testing.assert_allclose(kv.vectors, teacher.context_vectors(WORDS[:5]), atol=1e-6)


def test_pooled_pca_and_sif_match_sklearn(tiny_teacher_dir: Path) -> None:
    from sklearn.decomposition import PCA

    teacher = load_teacher(tiny_teacher_dir, device="cpu")
    counts = np.arange(len(WORDS), 0, -1) * 7
    kv = distill_pooled(teacher, WORDS, counts, pca_dims=4, sif_a=1e-2)
    reduced = PCA(n_components=4, random_state=0).fit_transform(teacher.word_vectors(WORDS))
    p = counts / counts.sum()
    np.testing.assert_allclose(kv.vectors, reduced * (1e-2 / (1e-2 + p))[:, None], atol=1e-4)


def test_fallback_maps_teacher_vectors_into_the_table_space(tiny_teacher_dir: Path) -> None:
    teacher = load_teacher(tiny_teacher_dir, device="cpu")
    known, unknown = WORDS[:18], WORDS[18:]
    mapping = np.random.default_rng(0).normal(size=(teacher.dim, 6))
    kv = StaticEmbeddings(known, teacher.word_vectors(known) @ mapping)  # a table in another space
    full = add_fallback(kv, teacher, ["Whale", *unknown], ridge=1e-6)
    assert full.index_to_key == known + unknown  # 'Whale' is known (lower-cased); nothing duplicated
    np.testing.assert_allclose(full[unknown], teacher.word_vectors(unknown) @ mapping, rtol=1e-3, atol=1e-3)
    raw = add_fallback(StaticEmbeddings(known, teacher.word_vectors(known)), teacher, unknown, align=False)
    np.testing.assert_allclose(raw[unknown], teacher.word_vectors(unknown), atol=1e-6)


def test_fallback_without_alignment_needs_the_teacher_size(tiny_teacher_dir: Path) -> None:
    from embedlab.errors import EmbedlabError

    teacher = load_teacher(tiny_teacher_dir, device="cpu")
    kv = StaticEmbeddings(WORDS[:3], np.ones((3, 5)))
    with pytest.raises(EmbedlabError, match="teacher's size"):
        add_fallback(kv, teacher, ["wave"], align=False)
