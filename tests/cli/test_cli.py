"""The command line: help, evaluation of a word2vec file, clear errors for bad input."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from embedlab.cli.main import main
from embedlab.data.benchmarks import load_word_pairs
from embedlab.static.embeddings import StaticEmbeddings


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """main() configures the root logger on pytest's captured stream; undo it after each test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("data", "eval", "demo"):
        assert command in out


def test_console_entry_point_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "embedlab", "eval", "words", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "--restrict-vocab" in done.stdout


def test_eval_words_on_a_word2vec_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = load_word_pairs("rg65")
    words = sorted({w.lower() for p in pairs.pairs for w in p})
    rng = np.random.default_rng(1)
    kv = StaticEmbeddings(words, rng.normal(size=(len(words), 8)))
    kv.save_word2vec(tmp_path / "v.txt")
    out_json = tmp_path / "r.json"
    assert main(["eval", "words", str(tmp_path / "v.txt"), "--datasets", "rg65", "--analogies", "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    assert "rg65" in printed
    cos = [kv.similarity(a.lower(), b.lower()) for a, b in pairs.pairs]
    expected = spearmanr(pairs.scores, cos).statistic
    result = json.loads(out_json.read_text())["results"][0]
    assert result["spearman"] == pytest.approx(expected, abs=1e-6)
    assert result["n_covered"] == 65


def test_user_errors_are_one_line_with_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.vec"
    bad.write_text("3 2\na 1 2\n")
    assert main(["eval", "words", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "truncated" in err
    assert main(["eval", "words", str(tmp_path / "missing.bin")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_eval_sts_on_an_embedlab_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from embedlab.data.benchmarks import load_sts

    sts = load_sts("sts14-headlines")
    sents = sts.sentences1[:40] + sts.sentences2[:40]
    words = sorted({w for s in sents for w in s.lower().split()})
    rng = np.random.default_rng(2)
    kv = StaticEmbeddings(words, rng.normal(size=(len(words), 12)))
    kv.save(tmp_path / "m")
    small = tmp_path / "small.tsv"
    small.write_text("".join(f"{a}\t{b}\t{g}\n" for a, b, g in zip(sts.sentences1[:40], sts.sentences2[:40], sts.scores[:40], strict=True)))
    out = tmp_path / "sts.json"
    assert main(["eval", "sts", str(tmp_path / "m"), "--datasets", str(small), "--json", str(out)]) == 0
    a, b = kv.encode(sts.sentences1[:40]), kv.encode(sts.sentences2[:40])
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    expected = 100 * spearmanr(sts.scores[:40], cos).statistic
    assert json.loads(out.read_text())["results"][0]["spearman"] == pytest.approx(expected, abs=1e-4)
