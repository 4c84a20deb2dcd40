"""X2Static / CBOW training: windows, a dry run of each path, learning, exact resume after a kill."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from embedlab.data.corpus import TextCorpus
from embedlab.static.context_cache import build_cache
from embedlab.static.pipeline import distill_x2static, train_cbow
from embedlab.static.x2static import StaticTrainConfig, _windows, train_static
from embedlab.teachers.contextual import load_teacher


def test_windows_stay_inside_sentences() -> None:
    tokens = np.array([10, 11, 12, 20, 21])
    sent = np.array([0, 0, 0, 1, 1])

    class NoShrink:
        def integers(self, lo: int, hi: int, size: int) -> np.ndarray:
            return np.zeros(size, dtype=np.int64)

    got = _windows(tokens, sent, 2, NoShrink())  # type: ignore[arg-type]
    # columns: offsets -2, -1, +1, +2
    assert got.tolist() == [[-1, -1, 11, 12], [-1, 10, 12, -1], [10, 11, -1, -1], [-1, -1, 21, -1], [-1, 20, -1, -1]]


def _clustered_corpus(path: Path, seed: int = 0) -> Path:
    """Sentences drawn from two disjoint topics: CBOW must put same-topic words closer together."""
    rng = np.random.default_rng(seed)
    topics = [["ship", "sea", "whale", "sail", "harpoon", "captain"], ["bread", "oven", "flour", "bake", "yeast", "dough"]]
    lines = []
    for _ in range(1500):
        words = topics[int(rng.integers(2))]
        lines.append(" ".join(rng.choice(words, size=8)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cbow_learns_topics(tmp_path: Path) -> None:
    path = _clustered_corpus(tmp_path / "c.txt")
    torch.manual_seed(0)
    run = train_cbow(TextCorpus(path), [path], cache_dir=tmp_path / "cache", progress=False,
                     config=StaticTrainConfig(method="cbow", dim=16, epochs=3, min_count=1, batch_size=64,
                                              lr=0.01, sample=0.0, negatives=3))
    kv = run.vectors
    same = np.mean([kv.similarity("ship", w) for w in ("sea", "whale", "sail")])
    other = np.mean([kv.similarity("ship", w) for w in ("bread", "oven", "flour")])
    assert same > other + 0.3
    # input and output tables are both available (Press & Wolf's comparison)
    assert run.task.result("output").vectors.shape == kv.vectors.shape


def test_x2static_dry_run_and_vocabulary(tmp_path: Path, tiny_teacher_dir: Path, tiny_corpus_path: Path) -> None:
    teacher = load_teacher(tiny_teacher_dir, device="cpu")
    run = distill_x2static(teacher, TextCorpus(tiny_corpus_path), [tiny_corpus_path], cache_dir=tmp_path / "cache",
                           out_dir=tmp_path / "out", progress=False,
                           config=StaticTrainConfig(min_count=3, max_steps=2, batch_size=32))
    assert run.loop.steps == 2 and np.isfinite(run.vectors.vectors).all()
    assert run.vectors.dim == teacher.dim
    counts = dict(zip(run.cache.words, run.cache.counts.tolist(), strict=True))
    assert set(run.vectors.index_to_key) == {w for w, c in counts.items() if c >= 3}
    assert (tmp_path / "out" / "checkpoint" / "model.safetensors").is_file()


@pytest.mark.parametrize("method", ["x2static", "cbow"])
def test_killed_training_resumes_exactly(method: str, tmp_path: Path, tiny_teacher_dir: Path,
                                         tiny_corpus_path: Path) -> None:
    teacher = load_teacher(tiny_teacher_dir, device="cpu") if method == "x2static" else None
    cache = build_cache(tmp_path / "cache", TextCorpus(tiny_corpus_path), [tiny_corpus_path], teacher, progress=False)
    config = StaticTrainConfig(method=method, min_count=2, epochs=2, batch_size=64, sample=1e-3, dim=8,  # type: ignore[arg-type]
                               chunk_sentences=100)
    torch.manual_seed(0)
    whole, w_loop = train_static(cache, config, tmp_path / "whole", progress=False, checkpoint_every=5)
    torch.manual_seed(0)
    stopped = StaticTrainConfig(**{**config.__dict__, "max_steps": w_loop.steps // 2 + 1})
    train_static(cache, stopped, tmp_path / "killed", progress=False, checkpoint_every=5)
    torch.manual_seed(123)  # the resumed run must restore the RNG from the checkpoint
    resumed, r_loop = train_static(cache, config, tmp_path / "killed", progress=False, checkpoint_every=5)
    assert r_loop.resumed_from == w_loop.steps // 2 + 1 and r_loop.steps == w_loop.steps
    np.testing.assert_allclose(resumed.result().vectors, whole.result().vectors, atol=1e-6)
