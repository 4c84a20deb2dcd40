"""Benchmark: embedlab's word-vector evaluation against gensim's, same vectors, same process.

Times the Google analogy set with 3CosAdd (embedlab ``evaluate_analogies`` vs gensim
``KeyedVectors.evaluate_word_analogies``) on the GoogleNews 13k subset, after one warm-up call each,
in interleaved repeats (gensim, embedlab, gensim, embedlab, ...) with BLAS threads pinned the same for
both. Also checks that both give the same analogy accuracy and computes WS353 and SimLex-999 Spearman
with both. Both read the question file on every call; gensim keeps its norms cached on the
``KeyedVectors`` between calls, embedlab recomputes them.

Writes ``benchmarks/results/evaluation.json`` (summary, machine, command, raw timings) and
``benchmarks/results/evaluation.md``.

Usage:
    python benchmarks/evaluation.py [--repeats 7] [--threads 2] [--vectors PATH.bin] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import cpu_model  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of each library (>= 5)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="BLAS threads for both")
    parser.add_argument("--vectors", type=Path, help="word2vec binary (default: the fetched googlenews-13k)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    if args.repeats < 5:
        parser.error("--repeats must be at least 5")

    # Pin threads before numpy loads its BLAS, and again through threadpoolctl for good measure.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(limits=args.threads):
        results = run(args, np)
    results["machine"]["blas"] = [
        {k: i.get(k) for k in ("internal_api", "version", "num_threads")} for i in threadpool_info()
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "evaluation.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "evaluation.md").write_text(render_markdown(results) + "\n")
    sys.stdout.write(render_markdown(results) + "\n")
    return 0


def run(args: argparse.Namespace, np: Any) -> dict[str, Any]:
    import gensim
    import scipy
    from gensim.models import KeyedVectors

    import embedlab
    from embedlab.data.benchmarks import BENCHMARKS
    from embedlab.evaluation import evaluate_analogies, evaluate_word_similarity

    vectors_path = args.vectors or _googlenews()
    kv = KeyedVectors.load_word2vec_format(str(vectors_path), binary=True)
    google = str(BENCHMARKS["google"].path)

    def run_gensim() -> float:
        score, _ = kv.evaluate_word_analogies(google)
        return float(score)

    def run_embedlab() -> float:
        return evaluate_analogies(kv, "google").accuracy  # the same KeyedVectors object

    accuracy = {"gensim": run_gensim(), "embedlab": run_embedlab()}  # warm-up, and the parity check
    timings: dict[str, list[float]] = {"gensim": [], "embedlab": []}
    for _ in range(args.repeats):
        for name, fn in (("gensim", run_gensim), ("embedlab", run_embedlab)):
            start = time.perf_counter()
            fn()
            timings[name].append(time.perf_counter() - start)

    spearman: dict[str, float] = {}
    for name in ("ws353", "simlex999"):
        _, theirs, _ = kv.evaluate_word_pairs(str(BENCHMARKS[name].path))
        spearman[f"{name}_gensim"] = float(theirs.statistic)
        spearman[name] = evaluate_word_similarity(kv, name).spearman

    pair_ratios = [g / e for g, e in zip(timings["gensim"], timings["embedlab"], strict=True)]
    med = {k: statistics.median(v) for k, v in timings.items()}
    return {
        "summary": {
            "analogy_speed_vs_gensim": med["gensim"] / med["embedlab"],
            "ws353_spearman": spearman["ws353"],
            "ws353_spearman_gensim": spearman["ws353_gensim"],
            "simlex_spearman": spearman["simlex999"],
            "simlex_spearman_gensim": spearman["simlex999_gensim"],
        },
        "analogy": {
            "dataset": "google",
            "method": "3cosadd",
            "restrict_vocab": 300_000,
            "accuracy_embedlab": accuracy["embedlab"],
            "accuracy_gensim": accuracy["gensim"],
            "accuracy_equal": accuracy["embedlab"] == accuracy["gensim"],
        },
        "timings_s": {
            "order": "warm-up (gensim, embedlab), then interleaved gensim, embedlab x repeats",
            "repeats": args.repeats,
            "gensim": timings["gensim"],
            "embedlab": timings["embedlab"],
            "median": med,
            "min": {k: min(v) for k, v in timings.items()},
            "max": {k: max(v) for k, v in timings.items()},
            "pairwise_ratio_min": min(pair_ratios),
            "pairwise_ratio_max": max(pair_ratios),
        },
        "vectors": {"path": _describe(vectors_path), "vocab": len(kv.index_to_key), "dim": int(kv.vector_size)},
        "machine": {
            "cores": os.cpu_count(),
            "cpu_model": cpu_model(),
            "threads": args.threads,
            "python": platform.python_version(),
            "versions": {
                "embedlab": embedlab.__version__,
                "gensim": gensim.__version__,
                "numpy": np.__version__,
                "scipy": scipy.__version__,
            },
        },
        "command": " ".join(["python3 dev.py bench evaluation", *map(shlex.quote, sys.argv[1:])]),
    }


def render_markdown(results: dict[str, Any]) -> str:
    from embedlab.evaluation import markdown_table

    t, s, a, m = results["timings_s"], results["summary"], results["analogy"], results["machine"]
    timing_rows = [
        {
            "library": lib,
            "median s": t["median"][lib],
            "min s": t["min"][lib],
            "max s": t["max"][lib],
            "accuracy": a[f"accuracy_{lib}"],
        }
        for lib in ("gensim", "embedlab")
    ]
    quality_rows = [
        {"set": "WS353", "embedlab": s["ws353_spearman"], "gensim": s["ws353_spearman_gensim"]},
        {"set": "SimLex-999", "embedlab": s["simlex_spearman"], "gensim": s["simlex_spearman_gensim"]},
    ]
    return "\n".join(
        [
            "# Word-vector evaluation: embedlab vs gensim",
            "",
            f"Vectors: {results['vectors']['path']} ({results['vectors']['vocab']} x {results['vectors']['dim']}). "
            f"Machine: {m['cores']} cores, {m['cpu_model']}, {m['threads']} BLAS threads for both.",
            "",
            f"## Google analogies, 3CosAdd ({t['repeats']} interleaved repeats after a warm-up)",
            "",
            markdown_table(timing_rows),
            "",
            f"Speed-up (gensim median / embedlab median): **{s['analogy_speed_vs_gensim']:.1f}x** "
            f"(pairwise ratios {t['pairwise_ratio_min']:.1f}x - {t['pairwise_ratio_max']:.1f}x). "
            f"Same accuracy: {a['accuracy_equal']}.",
            "",
            "## Word similarity (Spearman, case-insensitive, OOV pairs skipped)",
            "",
            markdown_table(quality_rows),
            "",
            f"Reproduce: `{results['command']}`",
        ]
    )


def _googlenews() -> Path:
    from embedlab.data.fetch import dataset_path

    return dataset_path("googlenews-13k")


def _describe(path: Path) -> str:
    """The vectors' path relative to the cache (no machine paths in committed results)."""
    from embedlab.paths import embedlab_home

    try:
        return "$EMBEDLAB_HOME/" + Path(path).resolve().relative_to(embedlab_home().resolve()).as_posix()
    except ValueError:
        return Path(path).name


if __name__ == "__main__":
    raise SystemExit(main())

