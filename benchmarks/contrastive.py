"""Benchmark: SimCSE and DiffCSE over three encoders (contrastive sentence embeddings).

One run, on en-mix (training sentences) with embedlab's own X2Static vectors (the static benchmark's
``x2static-sent-paper``, 384-d) for the word encoders:

- STS (sts12 = the dev set, used for model selection only; test = the mean of sts14-onwn and
  sts14-headlines, also per set) and the MR-4000 probe for each encoder untrained, after SimCSE and
  after DiffCSE at the same steps and batches: the RNN encoder (biGRU 2 x 256 over the static
  vectors, mean pooling), the bag of static vectors (trainable table, mean pooling), and MiniLM
  (the packaged all-MiniLM-L6-v2, adapted on en-mix). RNN and bag: 2 seeds, mean and range.
- DiffCSE's generators: small masked LMs trained here on en-mix (``embedlab train mlm``: a word-level
  one for the word encoders, one with MiniLM's WordPiece vocabulary for MiniLM).
- Ablations on the RNN encoder (fewer steps, seed 0): lambda 0 / 0.005 / 0.05, masking ratio
  15 / 30 / 40%, generator masked LM / RNN LM (the rnn_lm benchmark's tied LSTM) / unigram / random.
- Training speed: SimCSE steps/s vs sentence-transformers' MultipleNegativesRankingLoss on (s, s)
  pairs, the same MiniLM, batch, length and optimizer (fused AdamW, the default of both trainers),
  interleaved repeats in this process (the order flips every repeat), 2 threads.

The speed comparison runs first, alone; then the quality runs go two at a time, one thread each (the
times they report are one-thread times). Trained models are kept under $EMBEDLAB_HOME/bench/contrastive
(a run resumes there; --fresh redoes them).

Usage:
    python benchmarks/contrastive.py [--threads 2] [--out benchmarks/results] [--fresh] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
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
LM_GENERATOR = "bench/rnn_lm/lstm-tied"
DEV, TEST = "sts12", ("sts14-onwn", "sts14-headlines")
SEEDS = (0, 1)
STEPS = {"rnn": 600, "bag": 600, "minilm": 100}
EVAL_EVERY = {"rnn": 150, "bag": 150, "minilm": 50}
ABLATION_STEPS = 300
MLM_STEPS = 1500
MAX_SENTENCES = 120_000  # of en-mix's training sentences (the word vocabulary and the batches)
SPEED = {"batch": 64, "max_length": 32, "steps": 3, "repeats": 8}
ANCHORS = {"all-MiniLM-L6-v2": 80.4, "model2vec distilled from it": 72.3, "mean of the teacher's per-word vectors": 64.5,
           "gensim skip-gram (~5M tokens), mean": 53.2, "gensim CBOW, mean": 38.3}
NOTES = [
    "STS: Spearman x100 of cosine similarity; test = mean of sts14-onwn and sts14-headlines; sts12 picks the "
    "checkpoint (every 150 steps for RNN/bag, 50 for MiniLM) and is reported for completeness only.",
    "Same data order and steps for SimCSE and DiffCSE of one encoder and seed (batch 64, max 32 tokens), "
    "both with SimCSE's training-only MLP head (Linear + tanh), so the rows differ by the RTD loss alone. "
    "DiffCSE's batch-norm head (--head bn) scored lower on the RNN encoder in a 400-step probe before this run "
    "(test 45.5 vs 51.7 with the MLP head, one seed, unigram generator, 60k sentences).",
    "DiffCSE's discriminator is a 2-layer, 256-wide transformer conditioned on the sentence vector (the "
    "paper's is a BERT-base); lambda 0.005, 30% masking; generator = the small masked LM trained here. The "
    "sentence vector h takes the first position (the paper's place), is added to every token's input, and each "
    "token's score includes its fit to h (a bilinear term): with h at the first position only, this small "
    "discriminator learned to ignore it (its loss with h shuffled across the batch equalled its loss with the "
    "true h within 0.004 after 225 steps, and the RTD gradient reaching the encoder was 1e-5 to 1e-4 of the contrastive one).",
    "RTD h gain: the discriminator's loss with the sentence vectors shuffled across the batch minus its loss "
    "with the true ones (no gradient; mean over the last logged batches, every 25th batch probed): > 0 means the "
    "RTD loss depends on h, so it reaches the encoder.",
    "Probes before this run (RNN, DiffCSE, one seed, 600 steps, a plain loop): lambda 0.1 (test 51.7; its RTD "
    "gradient into the encoder reached a third of the contrastive one) vs 0.005 (53.2) vs 0 (54.0): at this "
    "scale a larger RTD weight makes h read the edits and costs STS. Bag SimCSE learning rates: AdamW 3e-4 / "
    "1e-3 / 1e-2 -> best dev 60.6 / 59.1 / 50.7, test 44.5 / 45.5 / 46.8 (untrained: dev 61.8, test 45.2); SGD "
    "0.1-10 lower on both. On these vectors dev and test disagree: removing the corpus-frequency-weighted mean "
    "vector takes the untrained bag's dev from 61.8 to 30.0 and its test from 45.2 to 48.6. The benchmark keeps "
    "the dev-chosen 1e-4.",
    "Learning rates: 1e-3 RNN, 1e-4 bag (its table moves fast at 1e-3), 3e-5 MiniLM (SimCSE's BERT value).",
    "The bag's views come from word dropout (30% of the words left out of each view) rather than only "
    "component dropout: averaging twenty slightly noisy vectors leaves two views nearly identical.",
]


def main(argv: list[str] | None = None) -> int:
    args = bench_parser(__doc__).parse_args(argv)
    pin_threads(args.threads)
    results = run(args)
    write_results(args.out, "contrastive-quick" if args.quick else "contrastive", results, render_markdown(results))
    return 0


def jobs(quick: bool) -> list[dict[str, Any]]:
    """Every quality run: name, encoder, method, seed, steps and config overrides."""
    steps = {k: (6 if quick else v) for k, v in STEPS.items()}
    seeds = SEEDS[:1] if quick else SEEDS
    out: list[dict[str, Any]] = [{"name": "minilm-teacher", "encoder": "minilm", "method": None, "seed": 0},
                                 {"name": "rnn-untrained", "encoder": "rnn", "method": None, "seed": 0},
                                 {"name": "bag-untrained", "encoder": "bag", "method": None, "seed": 0}]
    for method in ("simcse", "diffcse"):
        out.append({"name": f"minilm-{method}", "encoder": "minilm", "method": method, "seed": 0, "steps": steps["minilm"]})
        for encoder in ("rnn", "bag"):
            out += [{"name": f"{encoder}-{method}-s{seed}", "encoder": encoder, "method": method, "seed": seed,
                     "steps": steps[encoder]} for seed in seeds]
    ablation_steps = 4 if quick else ABLATION_STEPS
    ablations = {"base": {}, "lambda0": {"lambda_rtd": 0.0}, "lambda0.05": {"lambda_rtd": 0.05},
                 "mask0.15": {"mask_ratio": 0.15}, "mask0.4": {"mask_ratio": 0.4}, "gen-lm": {"generator": "lm"},
                 "gen-unigram": {"generator": "unigram"}, "gen-random": {"generator": "random"}}
    out += [{"name": f"ablation-{name}", "encoder": "rnn", "method": "diffcse", "seed": 0, "steps": ablation_steps,
             "overrides": extra} for name, extra in ablations.items()]
    order = {"minilm": 0, "rnn": 1, "bag": 2}  # longest first, so the two workers finish together
    return sorted(out, key=lambda j: (order[j["encoder"]], j["method"] is None))


def run(args: argparse.Namespace) -> dict[str, Any]:
    from embedlab.paths import embedlab_home

    work = embedlab_home() / "bench" / ("contrastive-quick" if args.quick else "contrastive")
    if args.fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    for needed, by in ((VECTORS, "benchmarks/static.py"), (LM_GENERATOR, "benchmarks/rnn_lm.py")):
        if not (embedlab_home() / needed).is_dir():
            sys.exit(f"{embedlab_home() / needed} is missing: run `python {by}` first")
    started = time.perf_counter()
    speed = measure_speed(args)  # first, while nothing else runs
    context = {"work": str(work), "quick": args.quick}
    with ProcessPoolExecutor(max_workers=2, initializer=_one_thread) as pool:
        mlms = dict(zip(("words", "minilm"), pool.map(train_generator, [(context, "words"), (context, "minilm")]),
                        strict=True))
        context["mlm"] = {k: v["folder"] for k, v in mlms.items()}
        rows = {r["name"]: r for r in pool.map(run_job, [(context, job) for job in jobs(args.quick)])}
    summary = summarize_rows(rows, speed)
    return {
        "benchmark": "contrastive", "summary": summary, "notes": NOTES, "anchors_test_avg": ANCHORS,
        "table": table(rows), "ablations": {k.removeprefix("ablation-"): v for k, v in rows.items() if k.startswith("ablation-")},
        "generators": {k: {**v, "folder": "$EMBEDLAB_HOME/" + str(Path(v["folder"]).relative_to(embedlab_home()))}
                       for k, v in mlms.items()},
        "speed": speed, "runs": rows,
        "settings": {"steps": STEPS, "eval_every": EVAL_EVERY, "seeds": list(SEEDS), "ablation_steps": ABLATION_STEPS,
                     "mlm_steps": MLM_STEPS, "max_sentences": MAX_SENTENCES, "vectors": VECTORS,
                     "lm_generator": LM_GENERATOR},
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "threads": args.threads,
                    "quality_runs": "2 processes x 1 thread", "python": platform.python_version()},
        "versions": versions("embedlab", "torch", "transformers", "sentence-transformers", "numpy", "scikit-learn"),
        "seconds": round(time.perf_counter() - started, 1), "date": time.strftime("%Y-%m-%d"),
        "command": "python benchmarks/contrastive.py " + shlex.join([a for a in sys.argv[1:] if a != "--fresh"]),
    }


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def _texts(quick: bool) -> list[str]:
    from embedlab.data.corpus import resolve_corpus

    texts = [t for t in resolve_corpus("en-mix")[0] if t.strip()]
    return texts[:2000] if quick else texts[:MAX_SENTENCES]


def train_generator(payload: tuple[dict[str, Any], str]) -> dict[str, Any]:
    """The small masked LM for one tokenizer (cached)."""
    from embedlab.contrastive.mlm import MLMTrainConfig, train_mlm

    context, tokenizer = payload
    folder = Path(context["work"]) / f"mlm-{tokenizer}"
    done = folder / "bench.json"
    if done.is_file():
        return dict(json.loads(done.read_text()))
    quick = context["quick"]
    config = MLMTrainConfig(max_steps=6 if quick else MLM_STEPS, eval_every=3 if quick else 500,
                            hidden=32 if quick else 256, layers=1 if quick else 2)
    _, report = train_mlm(config, tokenizer, _texts(quick), folder, progress=False)
    row = {"folder": str(folder), "tokenizer": tokenizer, "steps": report["steps"], "seconds": round(report["seconds"], 1),
           "valid_masked_accuracy": round(100 * (report["valid_masked_accuracy"] or 0), 2),
           "vocab_size": report["vocab_size"], "hidden": config.hidden, "layers": config.layers}
    done.write_text(json.dumps(row, indent=2) + "\n")
    return row


def make_encoder(kind: str, texts: list[str]) -> Any:
    from embedlab.contrastive.encoders import build_encoder
    from embedlab.loading import load_vectors
    from embedlab.paths import embedlab_home

    if kind == "minilm":
        return build_encoder("minilm")
    return build_encoder(kind, texts=texts, vectors=load_vectors(embedlab_home() / VECTORS), hidden=256)


def run_job(payload: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    """Train (unless untrained) and score one row; cached in its folder's bench.json."""
    import torch

    from embedlab.contrastive.training import ContrastiveTrainConfig, train_contrastive
    from embedlab.paths import embedlab_home

    context, job = payload
    folder = Path(context["work"]) / job["name"]
    done = folder / "bench.json"
    if done.is_file():
        return {**json.loads(done.read_text()), "reused": True}
    texts = _texts(context["quick"])
    torch.manual_seed(job["seed"])
    encoder = make_encoder(job["encoder"], texts)
    row: dict[str, Any] = {"name": job["name"], "encoder": job["encoder"], "method": job["method"], "seed": job["seed"]}
    if job["method"] is not None:
        overrides = dict(job.get("overrides", {}))
        generator = overrides.get("generator", "mlm")
        generator = {"mlm": context["mlm"]["minilm" if job["encoder"] == "minilm" else "words"],
                     "lm": str(embedlab_home() / LM_GENERATOR)}.get(generator, generator)
        config = ContrastiveTrainConfig(method=job["method"], seed=job["seed"], max_steps=job["steps"], epochs=5,
                                        eval_every=3 if context["quick"] else EVAL_EVERY[job["encoder"]],
                                        lr={"rnn": 1e-3, "bag": 1e-4, "minilm": 3e-5}[job["encoder"]],
                                        checkpoint_every=100, **{**overrides, "generator": generator})
        encoder, report = train_contrastive(encoder, config, texts, folder, progress=False)
        row.update(steps=report["steps"], train_seconds=round(report["total_seconds"], 1), best_dev=report["best_dev"],
                   evaluations=[{"step": e["step"], "dev": round(e["score"], 2)} for e in report["evaluations"]],
                   generator=report["generator"], config=overrides, discriminator=report["discriminator"])
    row.update(score(encoder, context["quick"]))
    folder.mkdir(parents=True, exist_ok=True)
    done.write_text(json.dumps(row, indent=2) + "\n")
    return row


def score(encoder: Any, quick: bool) -> dict[str, Any]:
    from embedlab.evaluation.probe import evaluate_probe
    from embedlab.evaluation.sts import evaluate_sts_sets

    sts = {r.dataset: round(r.spearman, 2) for r in evaluate_sts_sets(encoder, [DEV, *TEST])}
    probe = evaluate_probe(encoder, "mr", folds=3 if quick else 10, limit=400 if quick else None)
    return {"sts": sts, "test": round(statistics.mean(sts[s] for s in TEST), 2),
            "mr": round(probe.accuracy, 2), "mr_std": round(probe.accuracy_std, 2)}


def table(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per encoder and method: seeds averaged (mean, min, max)."""
    out = []
    for encoder in ("rnn", "bag", "minilm"):
        for method in ("untrained", "simcse", "diffcse"):
            group = [r for r in rows.values() if r["encoder"] == encoder and not r["name"].startswith("ablation")
                     and (r["method"] or "untrained") == method]
            if not group:
                continue
            tests = [r["test"] for r in group]
            line = {"encoder": encoder, "method": method, "seeds": len(group),
                    "test": round(statistics.mean(tests), 2), "test_min": min(tests), "test_max": max(tests),
                    "mr": round(statistics.mean(r["mr"] for r in group), 2)}
            for s in (DEV, *TEST):
                line[s] = round(statistics.mean(r["sts"][s] for r in group), 2)
            gains = [r["discriminator"]["rtd_h_gain"] for r in group if "rtd_h_gain" in (r.get("discriminator") or {})]
            if gains:
                line["rtd_h_gain"] = round(statistics.mean(gains), 3)
            times = [r["train_seconds"] for r in group if "train_seconds" in r]
            if times:
                line["train_seconds"] = round(statistics.mean(times), 1)
                line["steps"] = group[0]["steps"]
            out.append(line)
    return out


def summarize_rows(rows: dict[str, dict[str, Any]], speed: dict[str, Any]) -> dict[str, Any]:
    lines = {(t["encoder"], t["method"]): t["test"] for t in table(rows)}
    summary: dict[str, Any] = {}
    for encoder in ("rnn", "bag"):
        for method in ("untrained", "simcse", "diffcse"):
            summary[f"{encoder}_{method}_sts"] = lines.get((encoder, method))
    summary["minilm_teacher_sts"] = lines.get(("minilm", "untrained"))
    summary["minilm_simcse_sts"] = lines.get(("minilm", "simcse"))
    summary["minilm_diffcse_sts"] = lines.get(("minilm", "diffcse"))
    summary["speed_vs_sentence_transformers"] = speed["ratio"]
    return summary


def measure_speed(args: argparse.Namespace) -> dict[str, Any]:
    """SimCSE training steps/s: embedlab's task vs sentence-transformers' MNRL on (s, s), same MiniLM and batch."""
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from embedlab.contrastive.encoders import build_encoder
    from embedlab.contrastive.training import ContrastiveTask, ContrastiveTrainConfig
    from embedlab.teachers import load_sentence_transformer

    torch.set_num_threads(args.threads)
    batch, length = (8, 16) if args.quick else (SPEED["batch"], SPEED["max_length"])
    steps, repeats = (1, 2) if args.quick else (SPEED["steps"], SPEED["repeats"])
    texts = _texts(True)[: batch * steps]
    encoder = build_encoder("minilm")
    config = ContrastiveTrainConfig(batch_size=batch, max_length=length, lr=3e-5)
    task = ContrastiveTask(encoder, [(ids,) for ids in encoder.tokenize(texts, length)], config)
    (ours_opt,) = task.optimizers(task.model)
    batches = list(task.batches(0, 0, 1))

    def ours() -> None:
        for b in batches[:steps]:
            loss = task.loss(task.model, b)
            ours_opt.zero_grad(set_to_none=True)
            loss.backward()
            ours_opt.step()

    model = load_sentence_transformer("minilm", device="cpu")
    model.max_seq_length = length
    model.train()
    mnrl = MultipleNegativesRankingLoss(model)  # scale 20 = temperature 0.05
    peer_opt = torch.optim.AdamW(model.parameters(), lr=3e-5, weight_decay=0.0, fused=True)  # its trainer's default
    chunks = [texts[i * batch:(i + 1) * batch] for i in range(steps)]
    features = [[model.tokenize(c), model.tokenize(c)] for c in chunks]  # tokenized once, like ours

    def peer() -> None:
        for f in features:
            loss = mnrl(f, torch.arange(len(f[0]["input_ids"])))
            peer_opt.zero_grad(set_to_none=True)
            loss.backward()
            peer_opt.step()

    times_ours, times_peer = interleave(ours, peer, repeats)
    ratios = [tp / to for to, tp in zip(times_ours, times_peer, strict=True)]
    return {"batch": batch, "max_length": length, "steps_per_repeat": steps, "repeats": repeats, "threads": args.threads,
            "fused_adamw": {"embedlab": bool(ours_opt.defaults["fused"]), "sentence_transformers": bool(peer_opt.defaults["fused"])},
            "embedlab_seconds": summarize(times_ours), "sentence_transformers_seconds": summarize(times_peer),
            "embedlab_steps_per_s": round(steps / statistics.median(times_ours), 3),
            "sentence_transformers_steps_per_s": round(steps / statistics.median(times_peer), 3),
            "ratio": round(statistics.median(times_peer) / statistics.median(times_ours), 3),
            "ratio_pairwise": {"min": round(min(ratios), 3), "max": round(max(ratios), 3)}}


def render_markdown(r: dict[str, Any]) -> str:
    s = r["summary"]
    out = [f"# Contrastive sentence encoders: SimCSE and DiffCSE ({r['date']})", "",
           f"`{r['command']}` on {r['machine']['cpu']} ({r['machine']['quality_runs']} for the quality runs, "
           f"{r['machine']['threads']} threads for the speed run); {r['seconds'] / 60:.0f} min in all.", "",
           "## STS (Spearman x100; test = mean of STS14 OnWN and headlines) and the MR-4000 probe", "",
           "| encoder | method | seeds | test | test range | sts14-onwn | sts14-headlines | sts12 (dev) | MR acc | steps | train s | RTD h gain |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for t in r["table"]:
        out.append(f"| {t['encoder']} | {t['method']} | {t['seeds']} | **{t['test']}** | {t['test_min']}-{t['test_max']} | "
                   f"{t['sts14-onwn']} | {t['sts14-headlines']} | {t['sts12']} | {t['mr']} | {t.get('steps', '-')} | "
                   f"{t.get('train_seconds', '-')} | {t.get('rtd_h_gain', '-')} |")
    out += ["", "Anchors (test average, measured on this kind of machine): " +
            "; ".join(f"{k} {v}" for k, v in r["anchors_test_avg"].items()) + ".", "",
            "## Summary", "", "| key | value | target |", "|---|---|---|"]
    targets = {"rnn_diffcse_sts": ">= rnn_simcse_sts", "rnn_simcse_sts": "> rnn_untrained_sts",
               "bag_diffcse_sts": ">= bag_simcse_sts", "bag_simcse_sts": "> bag_untrained_sts",
               "minilm_simcse_sts": ">= minilm_teacher_sts - 1", "minilm_diffcse_sts": ">= minilm_teacher_sts - 1",
               "speed_vs_sentence_transformers": ">= 1.0"}
    out += [f"| {k} | {v} | {targets.get(k, '')} |" for k, v in s.items()]
    out += ["", f"## Ablations (RNN encoder, DiffCSE, {r['settings']['ablation_steps']} steps, seed 0)", "",
            "| run | settings | generator | test | sts12 (dev) | MR | train s | RTD h gain |", "|---|---|---|---|---|---|---|---|"]
    for name, a in r["ablations"].items():
        gain = (a.get("discriminator") or {}).get("rtd_h_gain")
        out.append(f"| {name} | {json.dumps(a.get('config', {}))} | {a.get('generator')} | {a['test']} | "
                   f"{a['sts']['sts12']} | {a['mr']} | {a.get('train_seconds')} | {'-' if gain is None else round(gain, 3)} |")
    g = r["generators"]
    out += ["", "## Generators (small masked LMs trained on en-mix)", "", "| tokenizer | vocab | steps | held-out masked acc % | s |",
            "|---|---|---|---|---|"]
    out += [f"| {v['tokenizer']} | {v['vocab_size']} | {v['steps']} | {v['valid_masked_accuracy']} | {v['seconds']} |" for v in g.values()]
    sp = r["speed"]
    out += ["", f"## Training speed: SimCSE step, MiniLM, batch {sp['batch']}, {sp['max_length']} tokens, {sp['threads']} threads, "
            f"{sp['repeats']} repeats of {sp['steps_per_repeat']} steps (order flipped every repeat), fused AdamW on both sides", "",
            "| | seconds per repeat, median [min-max] | steps/s |", "|---|---|---|",
            f"| embedlab SimCSE | {spread(sp['embedlab_seconds'])} | {sp['embedlab_steps_per_s']} |",
            f"| sentence-transformers MNRL (s, s) | {spread(sp['sentence_transformers_seconds'])} | {sp['sentence_transformers_steps_per_s']} |",
            "", f"Ratio (embedlab steps/s over sentence-transformers'): **{sp['ratio']}** "
            f"(pairwise {sp['ratio_pairwise']['min']}-{sp['ratio_pairwise']['max']}).", "", "## Notes", ""]
    out += [f"- {n}" for n in r["notes"]]
    reused = [name for name, row in r["runs"].items() if row.get("reused")]
    if reused:
        out.append(f"- Rows taken from this benchmark's cache of an earlier run (same code for them): {', '.join(reused)}.")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
