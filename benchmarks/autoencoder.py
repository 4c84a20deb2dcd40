"""Benchmark: the residual recurrent autoencoder, invertible in practice (METHODS.md D).

One run, on en-mix over embedlab's own X2Static vectors (the static benchmark's ``x2static-sent-paper``
model; the autoencoder's vocabulary is the 30,000 most frequent training words, words the vectors lack
get fixed random vectors):

- the main model (``preset("cpu", **MAIN)``): its learning curve (word accuracy and exact-sentence rate
  on held-out en-mix valid sentences at every validation, against training minutes; a projection of the
  minutes to the word-accuracy target when the run falls short), then tight/loose word accuracy and the
  exact-sentence rate by length (1-10, 11-20, 21-30, 31-40) on all 2,000 en-mix test sentences;
- the same model out of domain: the first 1,000 King James Bible sentences of 1-40 words;
- ablations of the design at equal steps (``COMPARE``): the paper's decoder (sentence vector only),
  + position, nn.GRU cells, match drop off, and the paper's preset at the same width;
- training throughput (tokens/s), residual vs the same autoencoder with nn.GRU, the same batches,
  interleaved repeats; and the share of step time spent on the match-drop test;
- the sentence vectors as embeddings: STS (sts12, sts14-headlines, sts14-onwn) and the MR-4000 probe
  next to the mean of the same static word vectors.

Trained models are kept under $EMBEDLAB_HOME/bench/autoencoder (a run resumes there and retrains a model
whose settings changed; --fresh redoes them all).

Usage:
    python benchmarks/autoencoder.py [--threads 2] [--out benchmarks/results] [--fresh] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import math
import os
import platform
import shlex
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from itertools import islice
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
    versions,
    write_results,
)

VECTORS = "bench/static/x2static-sent-paper"
# the main model: the cpu preset (sentences up to 40 words) for a fixed time budget on 2 cores
MAIN: dict[str, Any] = {"max_minutes": 90, "epochs": 1000, "eval_every": 2000, "eval_sentences": 500}
BEAM = 4
COMPARE: dict[str, Any] = {"max_steps": 3000, "max_length": 20, "epochs": 100, "eval_every": 1000, "eval_sentences": 300}
# --quick: tiny sizes, a smoke test of the script
QUICK_WIDTH: dict[str, Any] = {"hidden": 32, "sentence_dim": 32, "word_dim": 16, "max_sentences": 2000}
QUICK_MAIN: dict[str, Any] = {**QUICK_WIDTH, "max_minutes": None, "max_steps": 40, "eval_every": 20, "eval_sentences": 50}
QUICK_COMPARE: dict[str, Any] = {**QUICK_WIDTH, "max_steps": 20, "eval_every": 10, "eval_sentences": 50}
QUICK_SENTENCES = {"test": 200, "ood": 100}
OOD_SENTENCES = 1000
# settings the paper-preset row takes from COMPARE (the rest, width aside, is the paper's)
BUDGET = ("max_minutes", "max_steps", "epochs")  # a larger budget resumes a cached run instead of redoing it
RUN_LENGTH = ("max_steps", "epochs", "eval_every", "eval_sentences", "max_sentences", "max_length")
# key (model folder) -> (label, preset, settings on top of preset + COMPARE)
ABLATIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "cpu": ("cpu design", "cpu", {}),
    "paper-decoder": ("paper decoder (sentence vector only)", "cpu", {"decoder_input": "sentence"}),
    "position": ("+ position", "cpu", {"decoder_input": "position"}),
    "gru": ("nn.GRU cell", "cpu", {"cell": "gru"}),
    "no-matchdrop": ("match drop off", "cpu", {"match_drop": 0.0}),
    "curriculum": ("+ length curriculum (5 -> 20 words over 2,000 steps)", "cpu", {"curriculum_steps": 2000}),
    "paper": ("paper preset (all paper settings, same width)", "paper", {}),
}
# summary key -> (comparison, threshold, label)
TARGETS: dict[str, tuple[str, float, str]] = {
    "word_acc_le20": (">=", 0.95, "word accuracy, <= 20 words"),
    "exact_le20": (">=", 0.70, "exact sentences, <= 20 words"),
    "word_acc_21_40": (">=", 0.80, "word accuracy, 21-40 words"),
    "speed_vs_gru": (">=", 0.7, "tokens/s residual / nn.GRU"),
    "matchdrop_share": ("<=", 0.25, "match-drop share of step time, trained model"),
}
PROJECTION_POINTS = 5   # the last validations the log-time fit uses
NOTES = [
    "Held-out = the en-mix test split (2,000 sentences, 50-sentence blocks never trained on); references are "
    "the sentences as the model sees them (lower-cased tokens, words outside the vocabulary as <unk>).",
    "Word accuracy compares position by position with the reference (loose: letters only); exact = the whole "
    "token sequence. Test sentences over 40 words (longer than any trained on) count only in their own row and in 'all'.",
    "Learning curve: validation on en-mix valid sentences (1-40 words) during training; minutes are wall-clock "
    "training time including the validations.",
    "The projection is an extrapolation, not a measurement: a straight line through the last validations' word "
    "accuracy against ln(minutes), shifted by the gap between test (<= 20 words) and validation word accuracy "
    "at the best checkpoint.",
    "Word vectors are centred and whitened before use (X2Static: mean cosine 0.83 between words); whitening "
    "doubled the word accuracy after 1,000 steps (13.8% vs 7.1%, earlier sentence-only design).",
    "Batch 32 learned faster than 64 on equal tokens (12.2% vs 9.4% word accuracy <= 20 words, earlier design), "
    "hence the paper's batch 32.",
    "Out of domain: King James Bible sentences over the en-mix vocabulary; archaic words are <unk> in both "
    "reference and output (share shown).",
    "GPU path: no GPU was lent to this run; every figure here is from the CPU.",
]


def main(argv: list[str] | None = None) -> int:
    args = bench_parser(__doc__).parse_args(argv)
    pin_threads(args.threads)
    results = run(args)
    write_results(args.out, run_name(args), results, render_markdown(results))
    return 0


def run_name(args: argparse.Namespace) -> str:
    return "autoencoder-quick" if args.quick else "autoencoder"


def run(args: argparse.Namespace) -> dict[str, Any]:
    from embedlab.autoencoder.training import preset
    from embedlab.data.corpus import resolve_corpus
    from embedlab.loading import load_vectors
    from embedlab.paths import embedlab_home

    started = time.perf_counter()
    work = embedlab_home() / "bench" / run_name(args)
    if args.fresh and work.exists():
        shutil.rmtree(work)
    vectors_path = embedlab_home() / VECTORS
    if not vectors_path.is_dir():
        sys.exit(f"{vectors_path} is missing: run `python benchmarks/static.py` first (it trains the X2Static vectors)")
    vectors = load_vectors(vectors_path)
    main_settings = {**MAIN, **(QUICK_MAIN if args.quick else {})}
    compare_settings = {**COMPARE, **(QUICK_COMPARE if args.quick else {})}
    test = list(resolve_corpus("en-mix", split="test")[0])[: QUICK_SENTENCES["test"] if args.quick else None]

    plots = {"curve": f"{run_name(args)}_curve.png", "by_length": f"{run_name(args)}_by_length.png"}
    main_config = preset("cpu", **main_settings)
    main_run, model = train_cached(work / "main", main_config, vectors)
    main_run["log"] = training_log(work / "main")
    main_run["curve"] = learning_curve(main_run.pop("evaluations"))
    save_chart(curve_chart(main_run["curve"]), args.out / plots["curve"])
    reconstruction = reconstruct(model, test, examples=6)
    save_chart(reconstruction.pop("chart"), args.out / plots["by_length"])
    main_run["beam"] = beam_scores(model, test, BEAM)
    ood = reconstruct(model, ood_sentences(model, QUICK_SENTENCES["ood"] if args.quick else OOD_SENTENCES), examples=4)
    ood.pop("chart")
    ablations = run_ablations(work, compare_settings, vectors, test)
    speed = measure_speed(args, model, main_config)
    embeddings = embedding_quality(args, model, vectors)

    summary = summarize_run(main_run, reconstruction, ood, ablations, speed)
    main_run["projection"] = project(main_run["curve"], summary["word_acc_le20"])
    notes = NOTES + ([f"The main model was trained in two sittings: the run resumed from its checkpoint at step "
                      f"{main_run['resumed_from']:,} (same batch order, optimizer state and learning-rate schedule); "
                      "train_minutes counts the training time of both."] if main_run.get("resumed_from") else [])
    return {
        "benchmark": "autoencoder", "summary": summary, "plots": plots,
        "targets": {k: {"op": op, "value": v} for k, (op, v, _) in TARGETS.items()}, "notes": notes,
        "main": {**main_run, "reconstruction": reconstruction}, "ood": ood, "ablations": ablations,
        "speed": speed, "embeddings": embeddings,
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "threads": args.threads,
                    "python": platform.python_version()},
        "versions": versions("embedlab", "torch", "numpy", "scikit-learn"),
        "seconds": round(time.perf_counter() - started, 1), "date": time.strftime("%Y-%m-%d"),
        "command": "python benchmarks/autoencoder.py " + shlex.join([a for a in sys.argv[1:] if a != "--fresh"]),
    }


def summarize_run(main_run: dict[str, Any], rec: dict[str, Any], ood: dict[str, Any],
                  ablations: dict[str, dict[str, Any]], speed: dict[str, Any]) -> dict[str, Any]:
    """The headline figures (fractions 0-1 to 4 places, minutes to 0.1)."""
    return {
        "word_acc_le20": round(rec["le20"]["tight"], 4), "exact_le20": round(rec["le20"]["exact"], 4),
        "word_acc_21_40": round(rec["21-40"]["tight"], 4), "exact_21_40": round(rec["21-40"]["exact"], 4),
        "ood_word_acc_le20": round(ood["le20"]["tight"], 4),
        "train_minutes": round(main_run["seconds"] / 60, 1),
        "speed_vs_gru": round(speed["ratio"], 4), "matchdrop_share": round(speed["matchdrop_share_trained"], 4),
        "paper_decoder_word_acc_le20": round(ablations["paper-decoder"]["test"]["le20"]["tight"], 4),
    }


def meets(key: str, value: float) -> bool:
    op, threshold, _ = TARGETS[key]
    return value >= threshold if op == ">=" else value <= threshold


# --- training ---------------------------------------------------------------------------------------


def config_dict(config: Any) -> dict[str, Any]:
    """A training config as JSON sees it (tuples as lists), to compare with a cached one."""
    return dict(json.loads(json.dumps(dataclasses.asdict(config))))


def longer_budget(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether ``new`` is ``old`` with only a larger budget (minutes, steps, epochs; None = unbounded)."""
    if old == new or {k: v for k, v in old.items() if k not in BUDGET} != {k: v for k, v in new.items() if k not in BUDGET}:
        return False
    return all(new.get(k) is None or (old.get(k) is not None and new[k] >= old[k]) for k in BUDGET)


def train_cached(folder: Path, config: Any, vectors: Any, test: list[str] | None = None) -> tuple[dict[str, Any], Any]:
    """Train (or resume, or reuse) one model: (its row, the model); the row has test scores when ``test``
    is given. A folder trained with other (or unrecorded) settings is cleared first."""
    from embedlab.autoencoder import SentenceAutoencoder, train_autoencoder

    settings = config_dict(config)
    marker, done = folder / "bench-settings.json", folder / "bench.json"
    if marker.is_file() and longer_budget(json.loads(marker.read_text()), settings):
        print(f"{folder.name}: larger budget, resuming from its checkpoint", flush=True)
        marker.write_text(json.dumps(settings, indent=2))
        done.unlink(missing_ok=True)
    if folder.exists() and (not marker.is_file() or json.loads(marker.read_text()) != settings):
        print(f"{folder.name}: settings changed, retraining", flush=True)
        shutil.rmtree(folder)
    if done.is_file():
        print(f"{folder.name}: cached", flush=True)
        return dict(json.loads(done.read_text())), SentenceAutoencoder.load(folder)
    folder.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(settings, indent=2))
    print(f"{folder.name}: training", flush=True)
    model, report = train_autoencoder(config, vectors, "en-mix", folder, progress=False)
    row = {"settings": settings, "params": report["params"], "steps": report["steps"],
           "sentences": report["sentences"], "seconds": round(report["total_seconds"], 1),
           "process_seconds": round(report["seconds"], 1), "tokens_per_s": round(report["tokens_per_s"] or 0, 1),
           "matchdrop_seconds": round(report["matchdrop_seconds"], 1),
           "matchdrop_full_rows": report.get("matchdrop_full_rows"), "valid_exact": report["valid_exact"],
           "evaluations": report["evaluations"], "table": report["table"], "skipped": report["skipped"],
           "resumed_from": report.get("resumed_from", 0)}
    if test is not None:
        scores = reconstruct(model, test)
        row["test"] = {key: scores[key] for key in ("le20", "21-40", "overall")}
    done.write_text(json.dumps(row, indent=2))
    return row, model


def ablation_config(preset_name: str, extra: dict[str, Any], compare: dict[str, Any]) -> Any:
    """The cpu rows: preset cpu + COMPARE + the change; the paper row: preset paper at the cpu width and
    COMPARE's run length."""
    from embedlab.autoencoder.training import preset

    if preset_name == "cpu":
        return preset("cpu", **{**compare, **extra})
    cpu = preset("cpu", **compare)
    run_length = {k: compare[k] for k in RUN_LENGTH if k in compare}
    return preset(preset_name, hidden=cpu.hidden, sentence_dim=cpu.sentence_dim, **{**run_length, **extra})


def run_ablations(work: Path, compare: dict[str, Any], vectors: Any, test: list[str]) -> dict[str, dict[str, Any]]:
    """Every ``ABLATIONS`` row at equal steps; a row whose settings equal an earlier row's reuses it."""
    rows: dict[str, dict[str, Any]] = {}
    seen: dict[str, str] = {}
    for key, (label, preset_name, extra) in ABLATIONS.items():
        config = ablation_config(preset_name, extra, compare)
        fingerprint = json.dumps(config_dict(config), sort_keys=True)
        if fingerprint in seen:
            rows[key] = {**rows[seen[fingerprint]], "same_as": seen[fingerprint]}
        else:
            rows[key], _ = train_cached(work / key, config, vectors, test=test)
            seen[fingerprint] = key
        rows[key].update(label=label, preset=preset_name, changes=extra)
    return rows


def training_log(folder: Path) -> dict[str, Any]:
    """Throughput and match-drop share as logged every 50 steps (over resumes)."""
    lines = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines() if line.strip()]
    steps = [x for x in lines if "units_per_s" in x]
    shares = [x["matchdrop_share"] for x in steps if "matchdrop_share" in x]
    return {"tokens_per_s_median": round(statistics.median(x["units_per_s"] for x in steps), 1) if steps else None,
            "matchdrop_share_median": round(statistics.median(shares), 4) if shares else None}


# --- learning curve and projection ----------------------------------------------------------------


def learning_curve(evaluations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation word accuracy and exact rate (fractions) against steps and training minutes."""
    return [{"step": int(e["step"]), "seconds": e["seconds"], "minutes": round(e["seconds"] / 60, 2),
             "word_acc": e["word_acc"], "exact": e["exact"], "score": e["score"]} for e in evaluations]


def curve_chart(curve: list[dict[str, Any]]) -> Any:
    from embedlab.evaluation.report import LineChart

    return LineChart("Autoencoder learning curve (en-mix valid sentences)", [c["seconds"] / 60 for c in curve],
                     {"word accuracy": [100 * c["word_acc"] for c in curve],
                      "exact sentences": [100 * c["exact"] for c in curve]},
                     xlabel="training minutes", ylabel="%", filename="autoencoder_curve.png")


def project(curve: list[dict[str, Any]], word_acc_le20: float) -> dict[str, Any]:
    """Minutes to reach the ``word_acc_le20`` target: word accuracy ~ a + b ln(minutes) through the last
    ``PROJECTION_POINTS`` validations, shifted by (test <= 20 words - validation) at the best checkpoint."""
    target = TARGETS["word_acc_le20"][1]
    out: dict[str, Any] = {"target": target, "minutes": None}
    if meets("word_acc_le20", word_acc_le20):
        return {**out, "reason": "target reached; nothing to project"}
    points = [c for c in curve if c["seconds"] > 0][-PROJECTION_POINTS:]
    if len({c["seconds"] for c in points}) < 2:
        return {**out, "reason": "fewer than two validations to fit"}
    best = max(curve, key=lambda c: c["score"])
    fit = statistics.linear_regression([math.log(c["seconds"] / 60) for c in points], [c["word_acc"] for c in points])
    offset = word_acc_le20 - best["word_acc"]
    out.update(points=len(points), slope_per_ln_minute=round(fit.slope, 5), intercept=round(fit.intercept, 5),
               offset_le20=round(offset, 4))
    if fit.slope <= 0:
        return {**out, "reason": "word accuracy did not rise over the fitted validations"}
    log_minutes = (target - offset - fit.intercept) / fit.slope
    if log_minutes > math.log(1e9):
        return {**out, "reason": "beyond 1e9 minutes"}
    return {**out, "minutes": round(math.exp(log_minutes), 1), "reason": "projected"}


# --- reconstruction -------------------------------------------------------------------------------


def reconstruct(model: Any, sentences: list[str], examples: int = 0) -> dict[str, Any]:
    """Scores by length bucket, merged (<= 20, 21-40, all), examples and the by-length chart."""
    from embedlab.autoencoder import evaluate_reconstruction

    started = time.perf_counter()
    report = evaluate_reconstruction(model, sentences, examples=examples)
    out = report.as_dict()
    out.pop("by_length")
    for key, b in (("le20", report.bucket(1, 20)), ("21-40", report.bucket(21, 40)), ("overall", report.overall())):
        out[key] = {"sentences": b.sentences, "words": b.words, "exact": b.exact, "tight": b.tight, "loose": b.loose}
    out["seconds"] = round(time.perf_counter() - started, 1)
    out["chart"] = report.chart("Autoencoder reconstruction by sentence length (en-mix test)")
    return out


def beam_scores(model: Any, sentences: list[str], beam: int) -> dict[str, Any]:
    """The same test sentences of up to 40 words decoded with a beam instead of greedily."""
    short = [s for s in sentences if 0 < len(model.tokens(s)) <= 40]
    model.beam = beam
    try:
        scores = reconstruct(model, short)
    finally:
        model.beam = 1
    scores.pop("chart")
    return {"beam": beam, **{key: scores[key] for key in ("le20", "21-40", "seconds")}}


def save_chart(chart: Any, path: Path) -> None:
    from embedlab.evaluation.report import render_chart

    png = render_chart(chart)
    if png is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)


def ood_sentences(model: Any, count: int) -> list[str]:
    """The first ``count`` King James Bible sentences of 1-40 words (file order)."""
    from embedlab.data.corpus import resolve_corpus

    texts = resolve_corpus("kjv")[0]
    return list(islice((t for t in texts if 1 <= len(model.tokenizer.tokenize(t)) <= 40), count))


# --- speed ----------------------------------------------------------------------------------------


def measure_speed(args: argparse.Namespace, trained: Any, settings: Any) -> dict[str, Any]:
    """Training tokens/s: residual vs nn.GRU autoencoder, the same batches, interleaved; match-drop share."""
    import numpy as np
    import torch

    from embedlab.autoencoder.network import AutoencoderConfig, RecurrentAutoencoder
    from embedlab.autoencoder.training import AutoencoderTask
    from embedlab.data.corpus import resolve_corpus

    # the main run's settings without its curriculum, so the batches have the real length mix
    config = dataclasses.replace(settings, curriculum_steps=0)
    rng = np.random.default_rng(0)
    # sentences in the trained model's vocabulary, from the valid split
    sentences = [np.asarray(ids, dtype=np.int64) for ids in
                 (trained.ids(s) for s in resolve_corpus("en-mix", split="valid")[0]) if 0 < len(ids) <= config.max_length]
    sentences = [sentences[i] for i in rng.permutation(len(sentences))[: config.batch_size * (2 if args.quick else 8)]]

    def task_for(cell: str, module: RecurrentAutoencoder | None = None) -> AutoencoderTask:
        if module is None:   # a fresh twin of the trained network, only the cell differs
            torch.manual_seed(0)
            twin = {**trained.module.config.as_dict(), "cell": cell}
            if cell != "residual":
                twin["extra_blocks"] = 0
            module = RecurrentAutoencoder(AutoencoderConfig.from_dict(twin))
            module.table.copy_(trained.module.table)
        return AutoencoderTask(module, sentences, config, eos=trained.eos)

    residual, gru = task_for("residual"), task_for("gru")
    run_residual, batches = training_steps(residual)
    run_gru, _ = training_steps(gru)
    tokens = sum(residual.units(b) for b in batches)
    repeats = 2 if args.quick else 5
    t_res, t_gru = interleave(run_residual, run_gru, repeats)
    share_init = matchdrop_share(run_residual, residual)
    trained_task = task_for("residual", copy.deepcopy(trained.module))
    share_trained = matchdrop_share(training_steps(trained_task)[0], trained_task)
    res_tps = [tokens / t for t in t_res]
    gru_tps = [tokens / t for t in t_gru]
    pairwise = [a / b for a, b in zip(res_tps, gru_tps, strict=True)]
    return {"tokens_per_repeat": tokens, "batches": len(batches), "repeats": repeats,
            "residual_seconds": summarize(t_res), "gru_seconds": summarize(t_gru),
            "residual_tokens_per_s": round(statistics.median(res_tps), 1),
            "gru_tokens_per_s": round(statistics.median(gru_tps), 1),
            "ratio": round(statistics.median(res_tps) / statistics.median(gru_tps), 4),
            "pairwise_min": round(min(pairwise), 3), "pairwise_max": round(max(pairwise), 3),
            "matchdrop_share_untrained": share_init, "matchdrop_share_trained": share_trained,
            "hidden": config.hidden, "batch_size": config.batch_size, "decoder_input": config.decoder_input}


def training_steps(task: Any) -> tuple[Any, list[Any]]:
    """A closure running one optimizer step per batch (batches of epoch 0: reversed ids, lengths, targets)."""
    batches = list(task.batches(0, 0, 1))
    opt = task.optimizers(task.model)[0]

    def go() -> None:
        task.model.train()
        for batch in batches:
            loss = task.loss(task.model, batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return go, batches


def matchdrop_share(run: Any, task: Any) -> float:
    task.matchdrop_seconds = 0.0
    started = time.perf_counter()
    run()
    return round(task.matchdrop_seconds / (time.perf_counter() - started), 4)


# --- embeddings -----------------------------------------------------------------------------------


def embedding_quality(args: argparse.Namespace, model: Any, vectors: Any) -> dict[str, Any]:
    """STS (three sets) and the MR probe: the autoencoder's sentence vectors vs mean static vectors."""
    from embedlab.evaluation.probe import evaluate_probe
    from embedlab.evaluation.sts import evaluate_sts_sets, mean_spearman

    sets = ["sts12", "sts14-headlines", "sts14-onwn"]
    folds = 3 if args.quick else 10
    out: dict[str, Any] = {}
    for name, encoder in (("autoencoder", model), ("mean of the static vectors", vectors)):
        sts = evaluate_sts_sets(encoder, sets)
        probe = evaluate_probe(encoder, "mr", folds=folds, limit=400 if args.quick else None)
        out[name] = {"sts": {r.dataset: round(r.spearman, 2) for r in sts}, "sts_avg": round(mean_spearman(sts), 2),
                     "mr_accuracy": round(probe.accuracy, 2), "mr_std": round(probe.accuracy_std, 2),
                     "mr_folds": folds, "dim": int(encoder.dim)}
    return out


# --- markdown -------------------------------------------------------------------------------------


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def na(x: float | None, fmt: Callable[[float], str]) -> str:
    return "n/a" if x is None else fmt(x)


def render_markdown(r: dict[str, Any]) -> str:
    sections = [md_headline(r), md_curve(r), md_reconstruction(r), md_ood(r), md_ablations(r), md_speed(r),
                md_embeddings(r), ["## Notes", ""] + [f"- {n}" for n in r["notes"]]]
    return "\n".join(line for section in sections for line in [*section, ""]).rstrip()


def md_headline(r: dict[str, Any]) -> list[str]:
    s, m = r["summary"], r["main"]
    rows = []
    for key, (op, threshold, label) in TARGETS.items():
        value = f"{s[key]:.2f}x" if key == "speed_vs_gru" else pct(s[key])
        shown = f"{threshold:g}" if key == "speed_vs_gru" else f"{100 * threshold:g}%"
        rows.append(f"| {label} (`{key}`) | {value} | {op} {shown} | {'yes' if meets(key, s[key]) else '**no**'} |")
    return ["# Residual recurrent autoencoder: invertible in practice", "",
            f"Date: {r['date']}. `{r['command']}` on {r['machine']['cpu']}, {r['machine']['threads']} threads; "
            f"torch {r['versions']['torch']}.", "",
            "| headline | result | target | met |", "|---|---|---|---|", *rows,
            f"| exact sentences, 21-40 words (`exact_21_40`) | {pct(s['exact_21_40'])} | report | |",
            f"| out of domain (KJV) word accuracy, <= 20 words (`ood_word_acc_le20`) | {pct(s['ood_word_acc_le20'])} | report | |",
            f"| paper decoder at equal steps, word accuracy <= 20 words (`paper_decoder_word_acc_le20`) | "
            f"{pct(s['paper_decoder_word_acc_le20'])} | report | |",
            f"| training time (`train_minutes`) | {s['train_minutes']} min ({m['steps']:,} steps) | report | |"]


def md_curve(r: dict[str, Any]) -> list[str]:
    m, p = r["main"], r["main"]["projection"]
    lines = [f"## Learning curve of the main model (held-out en-mix valid sentences, "
             f"{m['settings']['eval_sentences']} of 1-{m['settings']['max_length']} words)", "",
             "| step | minutes | word accuracy | exact sentences |", "|---|---|---|---|"]
    lines += [f"| {c['step']:,} | {c['seconds'] / 60:.1f} | {pct(c['word_acc'])} | {pct(c['exact'])} |" for c in m["curve"]]
    lines += ["", f"Plot: `{r['plots']['curve']}`.", ""]
    if p["minutes"] is not None:
        lines.append(f"**Projection (extrapolated, not measured):** word accuracy on <= 20 words would reach "
                     f"{pct(p['target'])} after about **{p['minutes']:,.0f} training minutes** "
                     f"({p['minutes'] / 60:,.1f} h) on this machine: fit of validation word accuracy = "
                     f"{p['intercept']:.4f} + {p['slope_per_ln_minute']:.4f} ln(minutes) through the last "
                     f"{p['points']} validations, plus {100 * p['offset_le20']:+.1f} points (test <= 20 words minus "
                     "validation, best checkpoint).")
    else:
        lines.append(f"Projection to {pct(p['target'])} word accuracy on <= 20 words: none ({p['reason']}).")
    return lines


def md_reconstruction(r: dict[str, Any]) -> list[str]:
    m, rec = r["main"], r["main"]["reconstruction"]
    st = m["settings"]
    lines = [f"## Reconstruction of held-out en-mix test sentences (main model: {st['cell']} cell, "
             f"{st['hidden']} wide, sentence vector {st['sentence_dim']}, decoder input `{st['decoder_input']}`, "
             f"{m['params']:,} parameters, {m['steps']:,} steps, {m['seconds'] / 60:.1f} min)", ""]
    lines += bucket_table(rec)
    b = m["beam"]
    lines += ["", f"Decoded with a beam of {b['beam']} instead of greedily (the same sentences of up to 40 words, "
              f"{b['seconds']:.0f} s): <= 20 words word accuracy {pct(b['le20']['tight'])}, exact "
              f"{pct(b['le20']['exact'])}; 21-40 words word accuracy {pct(b['21-40']['tight'])}, exact "
              f"{pct(b['21-40']['exact'])}. The headline figures are greedy."]
    lines += ["", f"Unknown words in the test text: {pct(rec['unknown_share'])} (scored as `<unk>`). "
              f"Plot: `{r['plots']['by_length']}`.", "",
              "Examples (input -> output):", ""]
    return lines + [f"- `{e['input']}`\n  -> `{e['output']}`" for e in rec["examples"]]


def bucket_table(rec: dict[str, Any]) -> list[str]:
    lines = ["| length | sentences | words | word acc. tight | word acc. loose | exact sentences |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {b['length']} | {b['sentences']} | {b['words']} | {b['word_acc_tight']:.2f}% | "
              f"{b['word_acc_loose']:.2f}% | {b['exact_sentences']:.2f}% |" for b in rec["buckets"]]
    for key in ("le20", "21-40", "overall"):
        b = rec[key]
        name = {"le20": "**1-20**", "21-40": "**21-40**", "overall": "**all**"}[key]
        lines.append(f"| {name} | {b['sentences']} | {b['words']} | {100 * b['tight']:.2f}% | "
                     f"{100 * b['loose']:.2f}% | {100 * b['exact']:.2f}% |")
    return lines


def md_ood(r: dict[str, Any]) -> list[str]:
    ood = r["ood"]
    return [f"## Out of domain: King James Bible ({ood['sentences']} sentences of 1-40 words, main model)", "",
            *bucket_table(ood), "",
            f"Unknown words: {pct(ood['unknown_share'])}. Examples:", "",
            *[f"- `{e['input']}`\n  -> `{e['output']}`" for e in ood["examples"]]]


def md_ablations(r: dict[str, Any]) -> list[str]:
    base = r["ablations"]["cpu"]["settings"]
    lines = [f"## Ablations at equal steps ({base['max_steps']:,} steps, sentences up to {base['max_length']} words, "
             f"batch {base['batch_size']}, {base['hidden']} wide; en-mix test)", "",
             "| model | changes | params | train s | tokens/s | word acc <= 20 | exact <= 20 | word acc 21-40 |",
             "|---|---|---|---|---|---|---|---|"]
    for row in r["ablations"].values():
        t = row["test"]
        changes = f"preset {row['preset']}" if row["preset"] != "cpu" else ", ".join(f"{k}={v}" for k, v in row["changes"].items())
        if row.get("same_as"):
            changes += f" (same settings as `{row['same_as']}`: not retrained)"
        lines.append(f"| {row['label']} | {changes or '-'} | {row['params']:,} | {row['seconds']:.0f} | "
                     f"{row['tokens_per_s']:.0f} | {pct(t['le20']['tight'])} | {pct(t['le20']['exact'])} | "
                     f"{pct(t['21-40']['tight'])} |")
    return lines


def md_speed(r: dict[str, Any]) -> list[str]:
    sp, log = r["speed"], r["main"]["log"]
    return [f"## Training throughput ({sp['hidden']} wide, decoder input `{sp['decoder_input']}`, batch "
            f"{sp['batch_size']}, {sp['batches']} batches of en-mix valid sentences, {sp['repeats']} interleaved repeats)", "",
            "| autoencoder | seconds per repeat (median [min-max]) | tokens/s | ratio |", "|---|---|---|---|",
            f"| residual cell (embedlab) | {spread(sp['residual_seconds'])} | {sp['residual_tokens_per_s']:.0f} | "
            f"**{sp['ratio']:.2f}x** (pairwise {sp['pairwise_min']}-{sp['pairwise_max']}) |",
            f"| torch nn.GRU (fused) | {spread(sp['gru_seconds'])} | {sp['gru_tokens_per_s']:.0f} | 1.00 |", "",
            f"Match-drop test share of the step (`matchdrop_share`): {pct(sp['matchdrop_share_untrained'])} on an "
            f"untrained model, **{pct(sp['matchdrop_share_trained'])}** on the trained one; the main run logged a "
            f"median of {na(log['matchdrop_share_median'], pct)} (its throughput: "
            f"{na(log['tokens_per_s_median'], lambda x: f'{x:.0f}')} tokens/s median)."]


def md_embeddings(r: dict[str, Any]) -> list[str]:
    folds = next(iter(r["embeddings"].values()))["mr_folds"]
    lines = [f"## The sentence vectors as embeddings (Spearman x100; MR-4000 probe, {folds}-fold CV)", "",
             "| encoder | dim | sts12 | sts14-headlines | sts14-onwn | STS avg | MR-4000 |", "|---|---|---|---|---|---|---|"]
    for name, e in r["embeddings"].items():
        sts = e["sts"]
        cells = " | ".join(f"{sts.get(k, float('nan')):.2f}" for k in ("sts12", "sts14-headlines", "sts14-onwn"))
        lines.append(f"| {name} | {e['dim']} | {cells} | {e['sts_avg']:.2f} | {e['mr_accuracy']:.1f} +- {e['mr_std']:.1f} |")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
