"""The training loop under torchrun: two CPU processes (gloo), each taking half of the batches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import embedlab
from embedlab.cli.main import main


def test_cbow_under_torchrun_splits_the_batches(tmp_path: Path, tiny_corpus_path: Path) -> None:
    common = ["-q", "train", "cbow", "--corpus", str(tiny_corpus_path), "--dim", "8", "--epochs", "1",
              "--min-count", "2", "--batch-size", "64", "--no-eval"]
    assert main([*common, "--cache", str(tmp_path / "c1"), "--out", str(tmp_path / "one")]) == 0
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29533", "-m", "embedlab",
         *common, "--cache", str(tmp_path / "c2"), "--out", str(tmp_path / "two")],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    one = json.loads((tmp_path / "one" / "run.json").read_text())["steps"]
    two = json.loads((tmp_path / "two" / "run.json").read_text())["steps"]
    assert two in (one // 2, (one + 1) // 2)  # each rank took every second batch
    kv = embedlab.load(tmp_path / "two")
    assert kv.dim == 8 and len(kv) == len(embedlab.load(tmp_path / "one"))
