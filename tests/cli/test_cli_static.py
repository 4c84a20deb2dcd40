"""``embedlab distill``, ``train cbow`` and ``export`` end to end on the tiny corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import embedlab
from embedlab.cli.main import main
from embedlab.static.embeddings import StaticEmbeddings


def test_distill_x2static_writes_every_format(tmp_path: Path, tiny_teacher_dir: Path, tiny_corpus_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x2s"
    rc = main(["-q", "distill", "--teacher", str(tiny_teacher_dir), "--corpus", str(tiny_corpus_path),
               "--min-count", "2", "--batch-size", "16", "--max-steps", "3", "--cache", str(tmp_path / "cache"), "--out", str(out),
               "--word2vec", str(tmp_path / "v.bin"), "--model2vec", str(tmp_path / "m2v")])
    assert rc == 0
    kv = embedlab.load(out)
    assert kv.dim == 16 and len(kv) > 100
    w2v = StaticEmbeddings.load_word2vec_format(tmp_path / "v.bin")
    np.testing.assert_allclose(w2v.vectors, kv.vectors, atol=1e-6)
    assert embedlab.load(tmp_path / "m2v").index_to_key == kv.index_to_key
    text = capsys.readouterr().out
    assert "| word_similarity | average" in text and "simlex999" in text
    assert json.loads((out / "run.json").read_text())["steps"] == 3
    assert "spearman" in (out / "eval.json").read_text()


def test_distill_pooled_with_pca(tmp_path: Path, tiny_teacher_dir: Path, tiny_corpus_path: Path) -> None:
    rc = main(["-q", "distill", "--method", "pooled", "--teacher", str(tiny_teacher_dir), "--corpus",
               str(tiny_corpus_path), "--min-count", "3", "--dim", "4", "--sif", "1e-4", "--no-eval",
               "--out", str(tmp_path / "pooled")])
    assert rc == 0
    kv = embedlab.load(tmp_path / "pooled")
    assert kv.dim == 4 and kv.counts is not None and (kv.counts >= 3).all()


def test_train_cbow_and_export(tmp_path: Path, tiny_corpus_path: Path) -> None:
    rc = main(["-q", "train", "cbow", "--corpus", str(tiny_corpus_path), "--dim", "8", "--epochs", "1",
               "--min-count", "2", "--no-eval", "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "cbow")])
    assert rc == 0
    kv = embedlab.load(tmp_path / "cbow")
    assert kv.dim == 8
    rc = main(["-q", "export", str(tmp_path / "cbow"), "--word2vec", str(tmp_path / "cbow.txt")])
    assert rc == 0 and StaticEmbeddings.load_word2vec_format(tmp_path / "cbow.txt").index_to_key == kv.index_to_key


def test_distill_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["-q", "train", "cbow", "--corpus", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "o")])
    assert rc == 2 and "neither a file nor a registered corpus" in capsys.readouterr().err
    rc = main(["-q", "export", str(tmp_path / "nothing")])
    assert rc == 2
