"""``embedlab train lm|classifier|tagger``, ``generate``, ``eval lm`` and ``export --embedding`` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import embedlab
from embedlab.cli.main import main
from embedlab.lm.model import LanguageModel

TINY_LM = ["--layers", "1", "--emb", "16", "--hidden", "16", "--vocab", "300", "--batch-size", "4", "--bptt", "10"]


def test_train_lm_generate_eval_and_export(tmp_path: Path, tiny_corpus_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lm"
    assert main(["-q", "train", "lm", "--corpus", str(tiny_corpus_path), "--tied", "--epochs", "2", *TINY_LM,
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "valid perplexity" in printed and "sample:" in printed
    report = json.loads((out / "report.json").read_text())
    first, best = report["evaluations"][0]["score"], report["valid_ppl"]
    assert best <= first < 300  # learned something: below the uniform 300, never worse than epoch 1
    lm = embedlab.load(out)
    assert isinstance(lm, LanguageModel) and lm.module.decoder.weight is lm.module.embedding.weight

    assert main(["generate", str(out), "--prompt", "the", "--max-tokens", "8", "--seed", "3", "--top-k", "5",
                 "--samples", "2"]) == 0
    samples = capsys.readouterr().out.split("---\n")
    assert len(samples) == 2 and all(s.startswith("the ") for s in samples)
    assert main(["generate", str(out), "--prompt", "the", "--max-tokens", "8", "--seed", "3", "--top-k", "5"]) == 0
    assert capsys.readouterr().out == samples[0]  # the same seed, the same text

    assert main(["eval", "lm", str(out), "--text", str(tiny_corpus_path)]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["perplexity"] == pytest.approx(lm.perplexity(tiny_corpus_path.read_text().splitlines()), rel=1e-4)

    assert main(["export", str(out), "--embedding", "tied", "--out", str(tmp_path / "vec"),
                 "--word2vec", str(tmp_path / "v.txt"), "--no-eval"]) == 0
    kv = embedlab.load(tmp_path / "vec")
    assert kv.dim == 16 and len(kv) == len(lm.tokenizer) - 2
    assert main(["export", str(out), "--embedding", "output", "--out", str(tmp_path / "x"), "--no-eval"]) == 0


def test_a_killed_lm_run_resumes_from_its_checkpoint(tmp_path: Path, tiny_corpus_path: Path) -> None:
    out = tmp_path / "lm"
    args = ["-q", "train", "lm", "--corpus", str(tiny_corpus_path), *TINY_LM, "--out", str(out)]
    assert main([*args, "--max-tokens", "400"]) == 0  # stands in for a run killed after 10 steps
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["position"]["global_step"] == 10
    assert main([*args, "--epochs", "1"]) == 0
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["position"]["global_step"] > 10 and state["position"]["epoch"] == 1
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert any("validation" in x for x in lines)
    logged = [x for x in lines if "loss" in x]
    assert logged and all(x["ppl"] > 1 and x["units_per_s"] > 0 for x in logged)  # progress: perplexity, tokens/s


def test_char_level_lm_and_clear_errors(tmp_path: Path, tiny_corpus_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "chars"
    assert main(["-q", "train", "lm", "--level", "char", "--corpus", str(tiny_corpus_path), "--cell", "gru",
                 "--layers", "1", "--emb", "8", "--hidden", "16", "--max-tokens", "2000", "--out", str(out)]) == 0
    lm = embedlab.load(out)
    assert lm.tokenizer.level == "char" and len(lm.tokenizer) < 120
    capsys.readouterr()
    assert main(["train", "lm", "--corpus", str(tiny_corpus_path), "--tied", "--emb", "8", "--hidden", "16",
                 "--out", str(tmp_path / "bad")]) == 2
    assert "tie-projection" in capsys.readouterr().err
    assert main(["generate", str(tmp_path / "nothing")]) == 2
    assert "not a model folder" in capsys.readouterr().err


def test_train_classifier_and_tagger_from_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [f"{i % 2}\tthe film was {'great' if i % 2 else 'awful'} today" for i in range(120)]
    (tmp_path / "sent.tsv").write_text("\n".join(rows) + "\n")
    assert main(["-q", "train", "classifier", "--data", str(tmp_path / "sent.tsv"), "--emb", "8", "--hidden", "8",
                 "--epochs", "5", "--lr", "0.01", "--out", str(tmp_path / "clf")]) == 0
    assert "held-out accuracy 100.0%" in capsys.readouterr().out
    tagged = ["The/at dog/nn runs/vbz ./." if i % 2 else "A/at cat/nn sings/vbz ./." for i in range(1100)]
    (tmp_path / "tagged.txt").write_text("\n".join(tagged) + "\n")
    assert main(["-q", "train", "tagger", "--data", str(tmp_path / "tagged.txt"), "--emb", "8", "--hidden", "8",
                 "--epochs", "1", "--lr", "0.01", "--out", str(tmp_path / "pos")]) == 0
    assert "held-out accuracy 100.00%" in capsys.readouterr().out


def test_lm_trains_under_torchrun_with_rows_split_across_ranks(tmp_path: Path, tiny_corpus_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29541", "-m", "embedlab",
         "-q", "train", "lm", "--corpus", str(tiny_corpus_path), *TINY_LM, "--tied", "--out", str(tmp_path / "ddp")],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((tmp_path / "ddp" / "report.json").read_text())
    assert report["train_tokens"] == report["steps"] * 2 * 4 * 10  # both ranks' rows count
    assert isinstance(embedlab.load(tmp_path / "ddp"), LanguageModel)
