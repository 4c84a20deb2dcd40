"""Benchmark: static word vectors distilled from a transformer (X2Static) against their peers.

One run, on en-mix train (sotu + brown + big + wiki205, ~4.9M tokens), min_count 10:

- X2Static from all-MiniLM-L6-v2, variants ``sent`` and ``para``, with the paper's settings (1 epoch,
  SparseAdam lr 1e-3) and with settings for a small corpus (5 epochs, lr 1e-2), the second also with
  the int8 ONNX teacher and with paraphrase-MiniLM-L3-v2 (the two offline teachers compared);
- pooled(teacher) = the teacher per word, over the same vocabulary (and its PCA-256 + SIF version);
- model2vec's own ``distill`` of the same teacher (PCA 256, its defaults);
- gensim Word2Vec CBOW and skip-gram on the same tokenized sentences (300 d, window 5, 5 epochs);
- embedlab's CBOW (same code path as X2Static; 3 epochs, SparseAdam lr 3e-3), and Press & Wolf's input vs
  output embeddings.

Word similarity on the 9 sets is reported twice so coverage cannot decide the comparison:
(a) on the pairs every model covers (both words in the corpus vocabulary), and (b) on all pairs,
where X2Static/pooled vectors get embedlab's fallback (a word outside the corpus vocabulary gets its
pooled teacher vector, mapped into the model's space by a ridge least-squares map fitted on the
vocabulary) and gensim's vectors, which have none, score an uncovered pair 0.
Analogies (Google, MSR; 3CosAdd) search the corpus vocabulary for every model.

Speed: teacher alone vs the whole distillation on the same 2,000 sentences, torch vs int8 ONNX
teacher on the same 1,000 sentences, and sentence encoding with the static vectors vs model2vec vs
the teacher: interleaved repeats, medians, spread. Memory: peak RSS of `embedlab distill` (L3 teacher)
in a subprocess on a quarter of en-mix and on all of it.

Trained vectors are kept under $EMBEDLAB_HOME/bench/static (delete it, or pass --fresh, to redo them);
teacher passes are cached as `embedlab distill` caches them.

Usage:
    python benchmarks/static.py [--threads 2] [--out benchmarks/results] [--fresh]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    bench_parser,
    cpu_model,
    interleave,
    pin_threads,
    spread,
    summarize,
    timed,
    versions,
    write_results,
)

MIN_COUNT = 10
PAPER = {"epochs": 1, "lr": 1e-3}
SMALL_CORPUS = {"epochs": 5, "lr": 1e-2}
LIMIT: int | None = None  # --quick: sentences of en-mix used everywhere
MAIN_RUNS = ("x2static-sent-paper", "x2static-sent-small-corpus", "x2static-para-paper", "x2static-para-small-corpus")


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)  # --fresh retrains the models; the teacher caches are kept
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats of each timing")
    args = parser.parse_args(argv)
    global LIMIT
    if args.quick:
        LIMIT = 3000  # sentences of en-mix
    pin_threads(args.threads)
    results = run(args)
    write_results(args.out, "static", results, render_markdown(results))
    return 0


# --------------------------------------------------------------------------------------------- models
def run(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from embedlab.data.benchmarks import benchmark_vocabulary
    from embedlab.data.corpus import resolve_corpus
    from embedlab.paths import embedlab_home
    from embedlab.static.context_cache import build_cache
    from embedlab.static.embeddings import StaticEmbeddings
    from embedlab.static.pipeline import default_cache_dir, distill_x2static, train_cbow
    from embedlab.static.pooled import add_fallback, distill_pooled
    from embedlab.static.x2static import StaticTrainConfig
    from embedlab.teachers.contextual import load_teacher

    work = embedlab_home() / "bench" / ("static-quick" if LIMIT else "static")
    if args.fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    corpus, paths = resolve_corpus("en-mix")
    teachers = {name: load_teacher(name) for name in ("minilm", "minilm-onnx-int8", "paraphrase-minilm-l3")}
    for teacher in teachers.values():
        _memoize_word_vectors(teacher)  # fallbacks refit on the same vocabulary many times
    timings: dict[str, float] = {}
    notes: dict[str, Any] = {}

    def cached(name: str, make: Callable[[], StaticEmbeddings]) -> StaticEmbeddings:
        folder = work / name
        if (folder / "config.json").is_file():
            return StaticEmbeddings.load(folder)
        started = time.perf_counter()
        kv = make()
        timings[name] = time.perf_counter() - started
        kv.save(folder)
        (folder / "seconds.json").write_text(json.dumps({"seconds": timings[name]}))
        return kv

    # Memory first: these subprocesses also produce the paraphrase-MiniLM-L3 X2Static vectors.
    memory = measure_memory(work, args.threads)

    models: dict[str, StaticEmbeddings] = {}
    for variant in ("sent", "para"):
        for label, settings in (("paper", PAPER), ("small-corpus", SMALL_CORPUS)):
            name = f"x2static-{variant}-{label}"

            def make(variant: str = variant, settings: dict[str, float] = settings, name: str = name) -> StaticEmbeddings:
                run_ = distill_x2static(teachers["minilm"], corpus, paths, variant=variant,  # type: ignore[arg-type]
                                        config=StaticTrainConfig(min_count=MIN_COUNT, **settings),  # type: ignore[arg-type]
                                        max_sentences=LIMIT, progress=False)
                runs = json.loads((work / "runs.json").read_text()) if (work / "runs.json").is_file() else {}
                runs[name] = {"teacher_seconds": round(run_.teacher_seconds, 1),
                              "train_seconds": round(run_.train_seconds, 1), "steps": run_.loop.steps}
                (work / "runs.json").write_text(json.dumps(runs, indent=1))
                return run_.vectors

            models[name] = cached(name, make)
    models["x2static-sent-paper-onnx-int8"] = cached("x2static-sent-paper-onnx-int8", lambda: distill_x2static(
        teachers["minilm-onnx-int8"], corpus, paths, config=StaticTrainConfig(min_count=MIN_COUNT, **PAPER),  # type: ignore[arg-type]
        max_sentences=LIMIT, progress=False).vectors)
    models["x2static-sent-paper-L3"] = StaticEmbeddings.load(work / "rss-all")
    vocab = models["x2static-sent-paper"].index_to_key
    counts = models["x2static-sent-paper"].counts
    models["x2static-sent-paper-pooled-init"] = cached("x2static-sent-paper-pooled-init", lambda: _pooled_init(
        teachers["minilm"], corpus, paths, vocab))
    models["pooled(minilm)"] = cached("pooled-minilm", lambda: distill_pooled(teachers["minilm"], vocab, counts))
    models["pooled(minilm) pca256+sif"] = cached("pooled-minilm-pca256-sif", lambda: distill_pooled(
        teachers["minilm"], vocab, counts, pca_dims=256, sif_a=1e-4))
    models["pooled(L3)"] = cached("pooled-L3", lambda: distill_pooled(teachers["paraphrase-minilm-l3"], vocab, counts))

    cbow_cache = build_cache(default_cache_dir(None, None, paths, LIMIT), corpus, paths, None, max_sentences=LIMIT,
                             progress=False)
    sentences = _sentences_from_cache(cbow_cache)
    gensim_models = {}
    for sg, name in ((0, "gensim-cbow"), (1, "gensim-skipgram")):
        gensim_models[name] = _gensim(sentences, sg, args.threads, work / name)
        models[name] = gensim_models[name][0]
        models[f"{name} (output)"] = gensim_models[name][1]
    eml = train_cbow(corpus, paths, config=StaticTrainConfig(method="cbow", dim=300, epochs=3, min_count=MIN_COUNT,
                                                              negatives=5, lr=3e-3), max_sentences=LIMIT,
                     out_dir=work / "embedlab-cbow-run", progress=False)
    models["embedlab-cbow"] = eml.vectors
    models["embedlab-cbow (output)"] = eml.task.result("output")
    if eml.loop.steps > eml.loop.resumed_from:  # trained now, not resumed from a finished checkpoint
        (work / "embedlab-cbow-run" / "seconds.json").write_text(json.dumps({"seconds": eml.train_seconds}))
    models["model2vec(minilm)"] = _model2vec_words(work, vocab)

    fallbacks = {"x2static-sent-paper-onnx-int8": "minilm-onnx-int8", "x2static-sent-paper-L3": "paraphrase-minilm-l3",
                 "pooled(L3)": "paraphrase-minilm-l3"}
    bench_words = benchmark_vocabulary(analogies=False)
    with_fallback = {}
    for name, kv in models.items():
        if name.startswith(("x2static", "pooled")) and "pca" not in name:
            with_fallback[name] = add_fallback(kv, teachers[fallbacks.get(name, "minilm")], bench_words)
        elif name == "model2vec(minilm)":
            with_fallback[name] = kv  # subword tokenizer: covers every word itself
        elif name == "pooled(minilm) pca256+sif":
            with_fallback[name] = add_fallback(kv, teachers["minilm"], bench_words)  # the map learns PCA + SIF
    quality = evaluate_all(models, with_fallback, set(vocab), np)

    speed = measure_speed(args, teachers, corpus, models["x2static-sent-small-corpus"], work)
    best = max(MAIN_RUNS, key=lambda n: quality["all_pairs"][n]["average"])
    notes["best_x2static"] = best
    runs = json.loads((work / "runs.json").read_text()) if (work / "runs.json").is_file() else {}
    summary = {
        "x2static_avg_spearman": _x100(quality["all_pairs"][best]["average"]),
        "model2vec_avg_spearman": _x100(quality["all_pairs"]["model2vec(minilm)"]["average"]),
        "pooled_avg_spearman": _x100(quality["all_pairs"]["pooled(minilm)"]["average"]),
        "cbow_avg_spearman": _x100(quality["all_pairs"]["gensim-cbow"]["average"]),
        "skipgram_avg_spearman": _x100(quality["all_pairs"]["gensim-skipgram"]["average"]),
        "teacher_avg_spearman": _x100(quality["all_pairs"]["pooled(minilm)"]["average"]),
        "distill_overhead": speed["distill_overhead"]["overhead"],
        "onnx_speedup": speed["onnx"]["speedup"],
        "encode_vs_model2vec": speed["encode"]["vs_model2vec"],
        "encode_vs_teacher": speed["encode"]["vs_teacher"],
        "rss_ratio": memory["ratio"],
    }
    return {
        "summary": summary,
        "quality": quality,
        "speed": speed,
        "memory": memory,
        "runs": runs,
        "seconds": {p.parent.name: json.loads(p.read_text())["seconds"] for p in sorted(work.glob("*/seconds.json"))},
        "notes": notes,
        "setup": {"corpus": "en-mix train" + (f" (first {LIMIT} sentences: smoke run)" if LIMIT else ""), "min_count": MIN_COUNT, "vocab": len(vocab),
                  "paper_settings": PAPER, "small_corpus_settings": SMALL_CORPUS,
                  "fallback_policy": "X2Static/pooled: a word outside the corpus vocabulary gets its pooled teacher "
                                     "vector mapped into the model's space (ridge least squares fitted on the "
                                     "20,000 most frequent vocabulary words); gensim/embedlab CBOW have no "
                                     "fallback: an uncovered pair scores 0"},
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "threads": args.threads,
                    "python": platform.python_version(), "versions": versions("embedlab", "torch", "transformers", "onnxruntime", "gensim", "model2vec", "sentence-transformers")},
        "command": "python3 dev.py bench static " + shlex.join(sys.argv[1:]),
    }


def _memoize_word_vectors(teacher: Any) -> None:
    import numpy as np

    memo: dict[str, Any] = {}
    compute = teacher.word_vectors

    def word_vectors(words: Any, *, progress: bool = False) -> Any:
        todo = [w for w in dict.fromkeys(words) if w not in memo]
        if todo:
            memo.update(zip(todo, compute(todo, progress=progress), strict=True))
        return np.stack([memo[w] for w in words]) if len(words) else compute(words)

    teacher.word_vectors = word_vectors


def _pooled_init(teacher: Any, corpus: Any, paths: Any, vocab: list[str]) -> Any:
    """X2Static started from the pooled teacher vectors instead of U(-1/d, 1/d) (an embedlab option)."""
    from embedlab.static.context_cache import build_cache
    from embedlab.static.pipeline import default_cache_dir
    from embedlab.static.x2static import StaticTask, StaticTrainConfig, train_static

    cache = build_cache(default_cache_dir(teacher.name, "sent", paths, LIMIT), corpus, paths, teacher,
                        max_sentences=LIMIT, progress=False)
    config = StaticTrainConfig(min_count=MIN_COUNT, **PAPER)  # type: ignore[arg-type]
    words = StaticTask(cache, config).words
    task, _ = train_static(cache, config, progress=False, init_vectors=teacher.word_vectors(words))
    return task.result()


def _sentences_from_cache(cache: Any) -> list[list[str]]:
    import numpy as np

    ends = np.asarray(cache.sentence_ends())
    tokens = np.asarray(cache.tokens())
    words = np.asarray(cache.words, dtype=object)
    starts = np.concatenate([[0], ends[:-1]])
    return [list(words[tokens[a:b]]) for a, b in zip(starts, ends, strict=True)]


def _gensim(sentences: list[list[str]], sg: int, threads: int, folder: Path) -> tuple[Any, Any]:
    """gensim Word2Vec (300 d, window 5, 5 epochs, min_count 10): its input and output (syn1neg) vectors."""
    from gensim.models import Word2Vec

    from embedlab.static.embeddings import StaticEmbeddings

    if (folder / "input" / "config.json").is_file():
        return StaticEmbeddings.load(folder / "input"), StaticEmbeddings.load(folder / "output")
    started = time.perf_counter()
    model = Word2Vec(sentences, vector_size=300, window=5, min_count=MIN_COUNT, sg=sg, negative=5, epochs=5,
                     workers=threads, seed=0)
    words = list(model.wv.index_to_key)
    counts = [model.wv.get_vecattr(w, "count") for w in words]
    kv_in = StaticEmbeddings(words, model.wv.vectors, counts, source="gensim input")
    kv_out = StaticEmbeddings(words, model.syn1neg, counts, source="gensim output")
    kv_in.save(folder / "input")
    kv_out.save(folder / "output")
    (folder / "seconds.json").write_text(json.dumps({"seconds": time.perf_counter() - started}))
    return kv_in, kv_out


def _model2vec_words(work: Path, vocab: list[str]) -> Any:
    """model2vec's own distill of all-MiniLM-L6-v2 (its defaults: PCA 256), then each word encoded."""
    from model2vec import StaticModel
    from model2vec.distill import distill

    from embedlab.data.benchmarks import benchmark_vocabulary
    from embedlab.static.embeddings import StaticEmbeddings
    from embedlab.teachers.sentence_transformer import resolve_encoder_path

    folder = work / "model2vec-minilm"
    if not (folder / "model.safetensors").is_file():
        started = time.perf_counter()
        distill(model_name=resolve_encoder_path("minilm"), pca_dims=256).save_pretrained(str(folder))
        (folder / "seconds.json").write_text(json.dumps({"seconds": time.perf_counter() - started}))
    model = StaticModel.from_pretrained(str(folder))
    words = list(dict.fromkeys(vocab + benchmark_vocabulary(analogies=False)))
    return StaticEmbeddings(words, model.encode(words), source="model2vec(minilm)")


# ------------------------------------------------------------------------------------------ quality
def evaluate_all(models: dict[str, Any], with_fallback: dict[str, Any], vocab: set[str], np: Any) -> dict[str, Any]:
    from embedlab.data.benchmarks import ANALOGY_SETS, WORD_SIMILARITY_SETS, WordPairs, load_word_pairs
    from embedlab.evaluation.analogy import evaluate_analogies
    from embedlab.evaluation.word_similarity import evaluate_word_similarity

    sets = {name: load_word_pairs(name) for name in WORD_SIMILARITY_SETS}
    common = {}
    for name, ws in sets.items():
        keep = [i for i, (a, b) in enumerate(ws.pairs) if a.lower() in vocab and b.lower() in vocab]
        common[name] = WordPairs(name, [ws.pairs[i] for i in keep], ws.scores[keep], ws.source)
    out: dict[str, Any] = {"common_pairs": {}, "all_pairs": {}, "analogy": {},
                           "n_common_pairs": {n: len(c.pairs) for n, c in common.items()},
                           "n_all_pairs": {n: len(s.pairs) for n, s in sets.items()}}

    def table(kv: Any, pairs: dict[str, Any], oov: str) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name, ws in pairs.items():
            r = evaluate_word_similarity(kv, ws, oov=oov)  # type: ignore[arg-type]
            row[name] = r.spearman
            row[f"{name}_coverage"] = r.coverage
        scored = [row[n] for n in pairs if not np.isnan(row[n])]  # a set with no covered pair is left out
        row["average"] = float(np.mean(scored)) if scored else float("nan")
        row["n_sets_averaged"] = len(scored)
        return row

    for name, kv in models.items():
        out["common_pairs"][name] = table(kv, common, "skip")
        full = with_fallback.get(name)
        out["all_pairs"][name] = table(full if full is not None else kv, sets, "skip" if full is not None else "zero")
        out["analogy"][name] = {a: evaluate_analogies(kv, a).accuracy for a in ANALOGY_SETS}
    return out


# -------------------------------------------------------------------------------------------- speed
def measure_speed(args: argparse.Namespace, teachers: dict[str, Any], corpus: Any, static_kv: Any, work: Path) -> dict[str, Any]:
    import itertools

    from embedlab.data.benchmarks import STS_SETS, load_sts
    from embedlab.static.pipeline import distill_x2static
    from embedlab.static.x2static import StaticTrainConfig

    sample = list(itertools.islice(iter(corpus), 2000))
    sample_path = work / "speed_sample.txt"
    sample_path.write_text("\n".join(sample) + "\n", encoding="utf-8")
    from embedlab.data.corpus import TextCorpus

    minilm = teachers["minilm"]

    def teacher_only() -> None:
        minilm.context_vectors(sample)

    def whole_distillation() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            distill_x2static(minilm, TextCorpus(sample_path), [sample_path], cache_dir=Path(tmp) / "c",
                             config=StaticTrainConfig(min_count=1, **PAPER), progress=False)  # type: ignore[arg-type]

    t_teacher, t_distill = interleave(teacher_only, whole_distillation, args.repeats)
    overhead = {"teacher_s": summarize(t_teacher), "distill_s": summarize(t_distill), "sentences": len(sample),
                "overhead": round(statistics.median(t_distill) / statistics.median(t_teacher) - 1, 3)}

    small = sample[:1000]
    t_torch, t_onnx = interleave(lambda: minilm.context_vectors(small),
                                 lambda: teachers["minilm-onnx-int8"].context_vectors(small), args.repeats)
    onnx = {"torch_s": summarize(t_torch), "onnx_int8_s": summarize(t_onnx), "sentences": len(small),
            "speedup": round(statistics.median(t_torch) / statistics.median(t_onnx), 2),
            "pairwise": [round(a / b, 2) for a, b in zip(t_torch, t_onnx, strict=True)]}

    from model2vec import StaticModel

    m2v = StaticModel.from_pretrained(str(work / "model2vec-minilm"))
    sts = [s for name in STS_SETS for d in [load_sts(name)] for s in d.sentences1 + d.sentences2]
    sentences = (sts * 3)[:20_000]
    t_static, t_m2v = interleave(lambda: static_kv.encode(sentences), lambda: m2v.encode(sentences),
                                 max(args.repeats, 5))
    teacher_sents = sentences[:2000]
    t_teacher_enc = [timed(lambda: minilm.encode(teacher_sents)) for _ in range(2)]
    per_static = statistics.median(t_static) / len(sentences)
    per_teacher = statistics.median(t_teacher_enc) / len(teacher_sents)
    encode = {"sentences": len(sentences), "static_s": summarize(t_static), "model2vec_s": summarize(t_m2v),
              "teacher_s_per_2000": summarize(t_teacher_enc),
              "vs_model2vec": round(statistics.median(t_m2v) / statistics.median(t_static), 2),
              "vs_teacher": round(per_teacher / per_static, 1)}
    return {"distill_overhead": overhead, "onnx": onnx, "encode": encode}


def measure_memory(work: Path, threads: int) -> dict[str, Any]:
    """Peak RSS of `embedlab distill` (paraphrase-MiniLM-L3 teacher) on a quarter of en-mix and on all of it."""
    from embedlab.data.registry import read_manifest

    n = LIMIT or int(read_manifest("en-mix")["splits"]["train"]["n_sentences"])  # type: ignore[index]
    out: dict[str, Any] = {"teacher": "paraphrase-minilm-l3"}
    for label, limit in (("quarter", n // 4), ("all", LIMIT)):
        folder = work / f"rss-{label}"
        if (work / f"rss-{label}.json").is_file():
            out[label] = json.loads((work / f"rss-{label}.json").read_text())
            continue
        cli = ["-q", "distill", "--teacher", "paraphrase-minilm-l3", "--corpus", "en-mix", "--min-count",
               str(MIN_COUNT), "--epochs", str(PAPER["epochs"]), "--lr", str(PAPER["lr"]),
               "--cache", str(work / f"rss-cache-{label}"), "--out", str(folder), "--no-eval"]
        if limit is not None:
            cli += ["--max-sentences", str(limit)]
        code = ("import resource, sys, time; from embedlab.cli.main import main; t = time.perf_counter(); "
                f"rc = main({cli!r}); "
                "print('RESULT', rc, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter() - t)")
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")), None)
        if line is None or line.split()[1] != "0":
            raise RuntimeError(f"distill subprocess failed: {proc.stderr[-2000:]}")
        _, _, kib, secs = line.split()
        out[label] = {"sentences": limit or n, "peak_rss_mib": round(int(kib) / 1024, 1), "seconds": round(float(secs), 1)}
        (work / f"rss-{label}.json").write_text(json.dumps(out[label]))
    out["ratio"] = round(out["all"]["peak_rss_mib"] / out["quarter"]["peak_rss_mib"], 3)
    return out


def _x100(x: float) -> float:
    return round(100 * x, 1)


# ----------------------------------------------------------------------------------------- markdown
SHORT = {"ws353": "WS353", "ws353-sim": "WS-sim", "ws353-rel": "WS-rel", "simlex999": "SimLex", "simverb3500": "SimVerb",
         "men": "MEN", "rw": "RW", "mturk287": "MTurk", "rg65": "RG65"}


def render_markdown(r: dict[str, Any]) -> str:
    s = r["summary"]
    lines = ["# Static word vectors: X2Static vs pooled, model2vec, gensim CBOW/skip-gram", "",
             f"Corpus: en-mix train, min_count {r['setup']['min_count']} ({r['setup']['vocab']:,} words). "
             f"Machine: {r['machine']['cores']} cores, {r['machine']['cpu']}, {r['machine']['threads']} threads. "
             f"Best X2Static: `{r['notes']['best_x2static']}`.", "",
             "## Headline (average Spearman x100 over the 9 sets, all pairs, with the fallback)", "",
             "| model | avg | vs model2vec |", "|---|---|---|"]
    for key, label in (("x2static_avg_spearman", "X2Static (best)"), ("teacher_avg_spearman", "teacher per word = pooled"),
                       ("model2vec_avg_spearman", "model2vec distill"), ("skipgram_avg_spearman", "gensim skip-gram"),
                       ("cbow_avg_spearman", "gensim CBOW")):
        lines.append(f"| {label} | {s[key]} | {s[key] - s['model2vec_avg_spearman']:+.1f} |")
    for part, title in (("all_pairs", "All pairs (fallback for X2Static/pooled; 0 for uncovered gensim pairs)"),
                        ("common_pairs", "Common pairs (both words in the corpus vocabulary)")):
        q = r["quality"][part]
        sets = list(SHORT)
        n = r["quality"]["n_all_pairs" if part == "all_pairs" else "n_common_pairs"]
        lines += ["", f"## {title}", "", "| model | " + " | ".join(f"{SHORT[x]} ({n[x]})" for x in sets) + " | avg |",
                  "|---" * (len(sets) + 2) + "|"]
        for name, row in q.items():
            lines.append(f"| {name} | " + " | ".join(f"{100 * row[x]:.1f}" for x in sets) + f" | **{100 * row['average']:.1f}** |")
    lines += ["", "## Analogy (3CosAdd accuracy over the corpus vocabulary)", "", "| model | Google | MSR |", "|---|---|---|"]
    for name, row in r["quality"]["analogy"].items():
        lines.append(f"| {name} | {row['google']:.3f} | {row['msr']:.3f} |")
    sp = r["speed"]
    lines += ["", "## Speed (interleaved repeats, medians; min-max in brackets)", "",
              "| measurement | embedlab | peer | ratio |", "|---|---|---|---|",
              f"| X2Static on {sp['distill_overhead']['sentences']} sentences: teacher alone vs whole distillation (s) | "
              f"{spread(sp['distill_overhead']['distill_s'])} | {spread(sp['distill_overhead']['teacher_s'])} | "
              f"overhead {100 * s['distill_overhead']:.1f}% |",
              f"| teacher pass, {sp['onnx']['sentences']} sentences: int8 ONNX vs torch (s) | {spread(sp['onnx']['onnx_int8_s'])} | "
              f"{spread(sp['onnx']['torch_s'])} | **{s['onnx_speedup']}x** |",
              f"| encode {sp['encode']['sentences']:,} sentences: static vectors vs model2vec (s) | {spread(sp['encode']['static_s'])} | "
              f"{spread(sp['encode']['model2vec_s'])} | **{s['encode_vs_model2vec']}x** |",
              f"| encode per sentence: static vectors vs the teacher | - | - | **{s['encode_vs_teacher']}x** faster |"]
    m = r["memory"]
    lines += ["", "## Memory (peak RSS of `embedlab distill`, teacher paraphrase-MiniLM-L3)", "",
              "| corpus | sentences | peak RSS MiB | seconds |", "|---|---|---|---|",
              f"| quarter of en-mix | {m['quarter']['sentences']:,} | {m['quarter']['peak_rss_mib']} | {m['quarter']['seconds']} |",
              f"| en-mix | {m['all']['sentences']:,} | {m['all']['peak_rss_mib']} | {m['all']['seconds']} |",
              f"| ratio | | **{m['ratio']}** | |", "", f"Reproduce: `{r['command']}`"]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
