"""Every trainer killed (SIGKILL) at random moments and started again with the same command: the output
folder loads whenever it holds a model, its recorded best score never gets worse, the saved model
changes only when that score improves, and the run that finishes ends as good as one never killed.

The folder is watched every few milliseconds while each run goes, not only after a kill. The moments
are drawn from a seeded generator over the training part (from the first metrics line to the last)
of an uninterrupted run of the same command, so a failure names its schedule. The default run kills each trainer twice;
``pytest -m slow`` kills each six times.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .catalogue import corpus_a, shared_cbow, tiny_teacher
from .harness import case_environment, fresh_home, session, subprocess_env, try_load

FINISH_BOUND_S = 300.0  # a run that is not killed must finish within this


def _tagged(tmp: Path) -> Path:
    """Corpus A as word/TAG lines: the tag is the word's kind (a tagger can learn it)."""
    lines = []
    for line in corpus_a(tmp, "tag-src.txt").read_text(encoding="utf-8").splitlines()[:300]:
        words = line.split()
        tags = ["P" if not w.isalnum() else "D" if w.isdigit() else "C" if w[0].isupper() else "W" for w in words]
        if words:
            lines.append(" ".join(f"{w}/{t}" for w, t in zip(words, tags, strict=True)))
    path = tmp / "tagged.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _labelled(tmp: Path) -> Path:
    """Corpus A as label<TAB>text: label 1 for lines that mention a whale-ish word, else 0."""
    rows = []
    for line in corpus_a(tmp, "cls-src.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            label = int(any(w in line.lower() for w in ("whale", "sea", "ship", "boat")))
            rows.append(f"{label}\t{line.strip()}")
    path = tmp / "labelled.tsv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _valid_split(tmp: Path) -> tuple[Path, Path]:
    lines = corpus_a(tmp, "all.txt").read_text(encoding="utf-8").splitlines()
    train, valid = tmp / "train.txt", tmp / "valid.txt"
    train.write_text("\n".join(lines[:340]) + "\n", encoding="utf-8")
    valid.write_text("\n".join(lines[340:]) + "\n", encoding="utf-8")
    return train, valid


def _repeated(tmp: Path, times: int) -> Path:
    """Corpus A ``times`` over (for a trainer that makes one pass)."""
    path = tmp / "repeated.txt"
    path.write_text(corpus_a(tmp, "once.txt").read_text(encoding="utf-8") * times, encoding="utf-8")
    return path


def _vectors(tmp: Path) -> Path:
    return shared_cbow()


# trainer -> (argv without --out, built in a scratch folder). Tiny sizes, frequent validation: many
# best-model saves and checkpoints for the kills to land between.
TRAINERS: dict[str, Callable[[Path], list[Any]]] = {
    "cbow": lambda tmp: ["train", "cbow", "--corpus", corpus_a(tmp), "--dim", "8", "--epochs", "120", "--min-count",
                         "2", "--no-eval"],
    "x2static": lambda tmp: ["distill", "--teacher", tiny_teacher(), "--corpus", corpus_a(tmp), "--method",
                             "x2static", "--epochs", "400", "--min-count", "2", "--no-eval"],
    "lm": lambda tmp: ["train", "lm", "--corpus", _valid_split(tmp)[0], "--valid", tmp / "valid.txt", "--layers",
                       "1", "--emb", "16", "--hidden", "16", "--vocab", "300", "--batch-size", "4", "--bptt", "10",
                       "--epochs", "8", "--eval-every", "25", "--tied"],
    "autoencoder": lambda tmp: ["train", "autoencoder", "--vectors", _vectors(tmp), "--corpus", corpus_a(tmp),
                                "--hidden", "16", "--sentence-dim", "16", "--batch-size", "8", "--epochs", "12",
                                "--eval-every", "25"],
    "simcse": lambda tmp: ["train", "simcse", "--encoder", "bag", "--vectors", _vectors(tmp), "--corpus",
                           corpus_a(tmp), "--batch-size", "16", "--epochs", "8", "--eval-every", "15"],
    "diffcse": lambda tmp: ["train", "diffcse", "--encoder", "bag", "--vectors", _vectors(tmp), "--corpus",
                            corpus_a(tmp), "--generator", "unigram", "--disc-hidden", "16", "--disc-layers", "1",
                            "--batch-size", "16", "--epochs", "8", "--eval-every", "15"],
    "mlm": lambda tmp: ["train", "mlm", "--tokenizer", "words", "--corpus", _repeated(tmp, 20), "--hidden", "16",
                        "--layers", "1", "--heads", "2", "--vocab", "300", "--batch-size", "16", "--max-steps", "500",
                        "--eval-every", "25"],
    "classifier": lambda tmp: ["train", "classifier", "--data", _labelled(tmp), "--emb", "8", "--hidden", "8",
                               "--epochs", "20"],
    "tagger": lambda tmp: ["train", "tagger", "--data", _tagged(tmp), "--no-wsj", "--emb", "8", "--hidden", "8",
                           "--epochs", "14"],
}


@dataclass
class Snapshot:
    """What the output folder holds after a run ended or was killed."""

    model: str | None        # sha256 of the saved weights (None: no model yet)
    loads: bool
    why: str                 # why it does not load
    best: float | None       # the recorded best score (best-score.json)
    mode: str | None


def _weights(out: Path) -> str | None:
    """sha256 of the saved model's weights (the top level's; not the checkpoint's, not a staged save).

    Raises:
        OSError: a file was replaced while being read (the look is skipped).
    """
    files = sorted(out.glob("*.safetensors"))
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest() if files else None


def _best(out: Path) -> tuple[float | None, str | None]:
    try:
        saved = json.loads((out / "best-score.json").read_text(encoding="utf-8"))
        return float(saved["score"]), str(saved["mode"])
    except (OSError, ValueError, KeyError):
        return None, None


def snapshot(out: Path, *, load: bool = True) -> Snapshot:
    digest = _weights(out)
    loads, why = False, "no model"
    if digest is not None and load:
        with case_environment():
            obj, why = try_load(out)
        loads = obj is not None
    return Snapshot(digest, loads, why, *_best(out))


def start(argv: list[Any], out: Path, home: Path) -> subprocess.Popen[bytes]:
    env = subprocess_env()
    env["EMBEDLAB_HOME"] = str(home)
    return subprocess.Popen([sys.executable, "-m", "embedlab", "-q", *map(str, argv), "--out", str(out)],
                            cwd=out.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=FINISH_BOUND_S)
    return proc.returncode, err.decode(errors="replace")


def timed_run(argv: list[Any], out: Path, home: Path) -> tuple[int, str, float, float]:
    """Run to the end; return the exit code, stderr and when training began and ended (seconds from
    the start: the first and the last growth of ``metrics.jsonl``, else the whole run)."""
    started = time.perf_counter()
    proc = start(argv, out, home)
    first = last = None
    size = 0
    while proc.poll() is None and time.perf_counter() - started < FINISH_BOUND_S:
        try:
            now = (out / "metrics.jsonl").stat().st_size
        except OSError:
            now = 0
        if now != size:
            size, last = now, time.perf_counter() - started
            first = first if first is not None else last
        time.sleep(0.005)
    rc, err = finish(proc)
    full = time.perf_counter() - started
    return rc, err, (first if first is not None else 0.0), (last if last is not None else full)


def no_worse(new: float | None, old: float | None, mode: str | None) -> bool:
    if old is None:
        return True
    if new is None or math.isnan(new):
        return False
    return new <= old if mode == "min" else new >= old


class Watcher:
    """Checks the folder's invariants at every look, during runs as well as after kills: the recorded
    best score never gets worse and a saved model never disappears (a trainer records the score of a
    model just before saving it, so a worse model would show as a worse score)."""

    def __init__(self, out: Path, where: Callable[[], str]) -> None:
        self.out, self.where = out, where
        self.last = snapshot(out, load=False)
        self.looks = 0

    def look(self, *, load: bool = False) -> Snapshot:
        try:
            now = snapshot(self.out, load=load)
        except OSError:  # caught in the middle of a rename: look again next time
            return self.last
        before, where = self.last, self.where()
        self.looks += 1
        assert before.model is None or now.model is not None, f"{where}: the saved model is gone"
        assert no_worse(now.best, before.best, now.mode or before.mode), \
            f"{where}: the recorded best score went from {before.best} to {now.best}"
        if load and now.model is not None:
            assert now.loads, f"{where}: the folder holds a model that does not load: {now.why}"
        self.last = now
        return now

    def run(self, proc: subprocess.Popen[bytes], until: float) -> bool:
        """Look every few ms until the process ends (False) or ``until`` seconds pass, then SIGKILL it (True)."""
        started = time.perf_counter()
        while proc.poll() is None:
            if time.perf_counter() - started >= until:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return True
            self.look()
            time.sleep(0.005)
        return False


def kill_and_rerun(trainer: str, tmp: Path, kills: int) -> None:
    rng = random.Random(f"{trainer}-{kills}")
    argv = TRAINERS[trainer](tmp)
    home = fresh_home(tmp / "home")  # its own context cache: the teacher pass is killed too

    reference = tmp / "reference"
    rc, err, training, trained = timed_run(argv, reference, fresh_home(tmp / "home-reference"))
    assert rc == 0, f"the uninterrupted {trainer} run failed:\n{err[-2000:]}"
    expected = snapshot(reference)
    assert expected.loads, f"the uninterrupted {trainer} run left a folder that does not load: {expected.why}"

    schedule: list[str] = []
    out = tmp / "out"
    watch = Watcher(out, lambda: f"{trainer}, run {len(schedule) + 1} after kills at {', '.join(schedule) or '-'} "
                                 f"(uninterrupted: training from {training:.1f}s to {trained:.1f}s)")
    for _ in range(kills):
        moment = rng.uniform(training, trained)
        proc = start(argv, out, home)
        killed = watch.run(proc, moment)
        if not killed:
            rc, err = finish(proc)
            assert rc == 0, f"{watch.where()}: the run failed:\n{err[-2000:]}"
        watch.look(load=True)
        schedule.append(f"{moment:.2f}s" if killed else "- (finished first)")
        if not killed:
            break

    proc = start(argv, out, home)
    watch.run(proc, FINISH_BOUND_S)
    rc, err = finish(proc)
    assert rc == 0, f"{trainer}: the run after the kills at {schedule} failed:\n{err[-2000:]}"
    final = watch.look(load=True)
    assert final.loads, f"{trainer}: after the kills at {schedule} the finished folder does not load: {final.why}"
    if expected.best is not None:  # a resumed run goes on as if it had never stopped
        assert final.best == pytest.approx(expected.best, rel=1e-4), \
            f"{trainer}: killed at {schedule}, it ended at {final.best}; uninterrupted: {expected.best}"


@pytest.mark.parametrize("trainer", list(TRAINERS))
def test_killed_and_rerun_the_folder_loads_and_the_best_never_gets_worse(trainer: str) -> None:
    tmp = session().root / "kills" / trainer
    tmp.mkdir(parents=True)
    kill_and_rerun(trainer, tmp, kills=2)


@pytest.mark.slow
@pytest.mark.parametrize("trainer", list(TRAINERS))
def test_killed_six_times(trainer: str) -> None:
    tmp = session().root / "kills-slow" / trainer
    tmp.mkdir(parents=True)
    kill_and_rerun(trainer, tmp, kills=6)
