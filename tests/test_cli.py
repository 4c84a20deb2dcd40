"""The command line: help, evaluation of a word2vec file, clear errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from embedlab.cli.main import main
from embedlab.data.benchmarks import load_word_pairs
from embedlab.models.static import StaticEmbeddings


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
