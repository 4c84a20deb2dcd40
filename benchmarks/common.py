"""Helpers shared by the benchmark scripts (run as ``python benchmarks/NAME.py``)."""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or what ``platform`` knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def interleave(a: Callable[[], Any], b: Callable[[], Any], repeats: int) -> tuple[list[float], list[float]]:
    """A B B A A B ... after one warm-up of each (the order flips every repeat, so neither always runs
    second, after the other's allocations); returns the timings of each."""
    a()
    b()
    ta, tb = [], []
    for i in range(repeats):
        if i % 2 == 0:
            ta.append(timed(a))
            tb.append(timed(b))
        else:
            tb.append(timed(b))
            ta.append(timed(a))
    return ta, tb


def summarize(times: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(times), 3), "min": round(min(times), 3), "max": round(max(times), 3)}


def spread(t: dict[str, float]) -> str:
    """``median [min-max]`` of a ``summarize`` result, for markdown tables."""
    return f"{t['median']} [{t['min']}-{t['max']}]"


def versions(*packages: str) -> dict[str, str]:
    """Installed versions of ``packages`` (``-`` when one is missing)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in packages:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "-"
    return out


def bench_parser(doc: str) -> Any:
    """The arguments every trained-model benchmark takes: --threads, --out, --fresh, --quick."""
    import argparse

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--fresh", action="store_true", help="retrain every model")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke test of the script")
    return parser


def pin_threads(threads: int) -> None:
    """The same thread count for torch and the BLAS libraries, in this process and its children."""
    import os

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    import torch

    torch.set_num_threads(threads)


def write_results(out: Path, name: str, results: dict[str, Any], markdown: str) -> None:
    """``out/NAME.json`` and ``out/NAME.md``; the markdown also goes to stdout."""
    import json
    import sys

    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / f"{name}.md").write_text(markdown + "\n")
    sys.stdout.write(markdown + "\n")
