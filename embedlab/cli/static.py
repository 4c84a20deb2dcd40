"""``embedlab distill``, ``embedlab train cbow`` and ``embedlab export``: static word vectors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from embedlab.cli.options import add_overwrite

DISTILL_HELP = """Distill static word vectors from a transformer teacher.

  x2static  CBOW whose context vector is the teacher's mean token state over the sentence
            (--variant sent) or over a block of neighbouring sentences (--variant para);
            Gupta & Jaggi, ACL 2021. Needs a corpus; the teacher pass is cached, resumable.
  pooled    each vocabulary word through the teacher alone (model2vec's recipe); optional
            PCA (--dim) and SIF weights (--sif).

The vectors are written to --out as an embedlab folder (embedlab.load, eval words), and on request
as word2vec (--word2vec) and as a model2vec / sentence-transformers folder (--model2vec)."""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", default="en-mix", help="registered corpus (embedlab data list) or a text file, "
                   "one sentence per line (default: en-mix, its train split)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder (also holds checkpoints)")
    add_overwrite(p)
    p.add_argument("--min-count", type=int, default=10, help="ignore rarer words (default 10, the paper's)")
    p.add_argument("--epochs", type=int, default=None,
                   help="passes over the corpus (default: 1 for x2static, the paper's; 5 for cbow)")
    p.add_argument("--batch-size", type=int, default=1024, help="(context, target) pairs per step")
    p.add_argument("--lr", type=float, default=1e-3, help="SparseAdam learning rate (default 1e-3)")
    p.add_argument("--negatives", type=int, default=10, help="negatives per target (default 10)")
    p.add_argument("--sample", type=float, default=None,
                   help="subsampling threshold t (default 5e-6 for x2static, 1e-3 for cbow)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-sentences", type=int, default=None, help="use only the first N sentences (quick runs)")
    p.add_argument("--max-steps", type=int, default=None, help="stop after N training steps (quick runs)")
    p.add_argument("--cache", type=Path, default=None, metavar="DIR",
                   help="where the tokenized corpus / teacher pass is cached (default: under $EMBEDLAB_HOME/contexts)")
    _outputs(p)


def _outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--word2vec", type=Path, default=None, metavar="FILE",
                   help="also write word2vec (.bin = binary, else text)")
    p.add_argument("--model2vec", type=Path, default=None, metavar="DIR",
                   help="also write a folder model2vec and sentence-transformers load")
    p.add_argument("--no-eval", action="store_true", help="skip the final word-similarity/analogy table")


def register(sub: Any) -> None:
    d = sub.add_parser("distill", help="distill static word vectors from a transformer (X2Static, pooled)",
                       description=DISTILL_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("--teacher", default="minilm",
                   help="minilm (packaged all-MiniLM-L6-v2), minilm-onnx-int8, paraphrase-minilm-l3, "
                        "a Hugging Face folder or hub name, or an .onnx file (default: minilm)")
    d.add_argument("--method", choices=["x2static", "pooled"], default="x2static", help="default x2static")
    d.add_argument("--variant", choices=["sent", "para"], default="sent", help="x2static context (default sent)")
    d.add_argument("--dim", type=int, default=None, help="reduce to D dimensions with PCA at the end")
    d.add_argument("--sif", type=float, default=None, metavar="A", help="pooled: SIF weights a/(a+p(w)) (model2vec: 1e-4)")
    d.add_argument("--fallback-benchmarks", action="store_true",
                   help="give benchmark words outside the corpus vocabulary the teacher's vector, mapped "
                        "into the table's space (embedlab's OOV fallback)")
    d.add_argument("--batch-tokens", type=int, default=None, help="teacher: padded tokens per forward pass")
    _common(d)
    d.set_defaults(func=cmd_distill)

    e = sub.add_parser("export", help="convert word vectors to word2vec or a model2vec/sentence-transformers folder",
                       description="Convert word vectors (embedlab folder or word2vec file) to other formats; "
                                   "from a language model folder, export its input, output or tied embedding.")
    e.add_argument("vectors", help="embedlab folder (word vectors or a language model) or word2vec .txt/.bin")
    e.add_argument("--embedding", choices=["input", "output", "tied"], default=None,
                   help="for a language model: which embedding (default: tied if tied, else input)")
    e.add_argument("--out", type=Path, default=None, metavar="DIR", help="also write an embedlab word-vector folder")
    add_overwrite(e)
    _outputs(e)
    e.set_defaults(func=cmd_export, no_eval=True)


def register_train(tsub: Any) -> None:
    c = tsub.add_parser("cbow", help="classic word2vec CBOW with negative sampling (the X2Static baseline)",
                        description="CBOW (Mikolov et al. 2013) in the same code path as X2Static: the context "
                                    "is the mean input vector of a window around the target.")
    c.add_argument("--dim", type=int, default=300, help="vector size (default 300)")
    c.add_argument("--window", type=int, default=5, help="context words each side, shrunk at random (default 5)")
    _common(c)
    c.set_defaults(func=cmd_cbow)


def _train_config(args: argparse.Namespace, method: str, default_epochs: int) -> Any:
    from embedlab.static.x2static import StaticTrainConfig

    return StaticTrainConfig(method=method, min_count=args.min_count,  # type: ignore[arg-type]
                             epochs=default_epochs if args.epochs is None else args.epochs, batch_size=args.batch_size, lr=args.lr,
                             negatives=args.negatives, sample=args.sample, seed=args.seed,
                             max_steps=args.max_steps, dim=getattr(args, "dim", None) if method == "cbow" else None,
                             window=getattr(args, "window", 5))


def cmd_distill(args: argparse.Namespace) -> int:
    from embedlab.data.corpus import resolve_corpus
    from embedlab.static.pipeline import distill_x2static
    from embedlab.static.pooled import distill_pooled
    from embedlab.teachers.contextual import load_teacher
    from embedlab.train.settings_check import check_values

    progress = not args.quiet
    teacher = load_teacher(args.teacher, batch_tokens=args.batch_tokens)
    if args.dim is not None:
        from embedlab.static.pooled import check_pca_dim

        check_pca_dim(args.dim, teacher.dim)
    check_values({"sif_a": "--sif"}, sif_a=args.sif)
    corpus, paths = resolve_corpus(args.corpus)
    summary: dict[str, Any] = {"teacher": teacher.name, "method": args.method, "corpus": str(args.corpus)}
    if args.method == "x2static":
        run = distill_x2static(teacher, corpus, paths, variant=args.variant,
                               config=_train_config(args, "x2static", 1), out_dir=args.out,
                               cache_dir=args.cache, max_sentences=args.max_sentences, progress=progress,
                               overwrite=args.overwrite)
        kv = run.vectors
        summary.update(variant=args.variant, steps=run.loop.steps, teacher_seconds=round(run.teacher_seconds, 1),
                       train_seconds=round(run.train_seconds, 1))
    else:
        from embedlab.static.pooled import claim_pooled, corpus_vocabulary

        words, counts = corpus_vocabulary(corpus, args.min_count, max_sentences=args.max_sentences, progress=progress)
        claim_pooled(args.out, teacher.name, words, counts, {"min_count": args.min_count, "max_sentences": args.max_sentences,
                     "sif": args.sif, "dim": args.dim, "fallback": args.fallback_benchmarks}, args.overwrite)
        kv = distill_pooled(teacher, words, counts, sif_a=args.sif, progress=progress)
    if args.fallback_benchmarks:
        from embedlab.data.benchmarks import benchmark_vocabulary
        from embedlab.static.pooled import add_fallback

        kv = add_fallback(kv, teacher, benchmark_vocabulary())
    if args.dim is not None:
        from embedlab.static.pooled import reduce_dims

        kv = reduce_dims(kv, args.dim)
    return _finish(kv, args, summary)


def cmd_cbow(args: argparse.Namespace) -> int:
    from embedlab.data.corpus import resolve_corpus
    from embedlab.static.pipeline import train_cbow

    corpus, paths = resolve_corpus(args.corpus)
    run = train_cbow(corpus, paths, config=_train_config(args, "cbow", 5), out_dir=args.out,
                     cache_dir=args.cache, max_sentences=args.max_sentences, progress=not args.quiet,
                     overwrite=args.overwrite)
    summary = {"method": "cbow", "corpus": str(args.corpus), "steps": run.loop.steps,
               "train_seconds": round(run.train_seconds, 1)}
    return _finish(run.vectors, args, summary)


def cmd_export(args: argparse.Namespace) -> int:
    from embedlab.lm.model import LanguageModel
    from embedlab.loading import load, load_vectors

    if args.word2vec is None and args.model2vec is None and args.out is None:
        raise ValueError("say what to write: --out DIR, --word2vec FILE and/or --model2vec DIR")
    path = Path(args.vectors)
    model = load(path) if path.is_dir() else None
    if isinstance(model, LanguageModel):
        which = args.embedding or ("tied" if model.config.tied else "input")
        kv = model.embeddings(which)  # type: ignore[arg-type]
    elif args.embedding is not None:
        raise ValueError(f"{path}: --embedding applies to a language model folder")
    else:
        kv = load_vectors(path)
    if args.out is not None:
        from embedlab.train.run_folder import RunIdentity, claim_folder

        claim_folder(args.out, RunIdentity("export", {"source": str(path.resolve()), "embedding": args.embedding}),
                     overwrite=args.overwrite)
    return _finish(kv, args, None)


def _finish(kv: Any, args: argparse.Namespace, summary: dict[str, Any] | None) -> int:
    from embedlab.train.loop import is_main_process

    if not is_main_process():  # under torchrun, rank 0 writes and reports
        return 0
    out = getattr(args, "out", None)
    if out is not None:
        kv.save(out)
        print(f"wrote {out} ({len(kv):,} words x {kv.dim})")
        if summary is not None:
            (Path(out) / "run.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if args.word2vec is not None:
        kv.save_word2vec(args.word2vec, binary=args.word2vec.suffix == ".bin")
        print(f"wrote {args.word2vec}")
    if args.model2vec is not None:
        from embedlab.train.run_folder import RunIdentity, claim_folder

        source = str(Path(out).resolve()) if out is not None else str(getattr(args, "vectors", ""))
        claim_folder(args.model2vec, RunIdentity("model2vec", {"source": source}), overwrite=args.overwrite)
        kv.save_model2vec(args.model2vec)
        print(f"wrote {args.model2vec} (model2vec / sentence-transformers folder)")
    if not args.no_eval:
        from embedlab.data.benchmarks import ANALOGY_SETS, WORD_SIMILARITY_SETS
        from embedlab.evaluation.suite import evaluate_word_vectors

        report = evaluate_word_vectors(kv, WORD_SIMILARITY_SETS, ANALOGY_SETS)
        report.title = f"word vectors: {out}"
        print()
        print(report.to_markdown(averages=True))
        if out is not None:
            (Path(out) / "eval.json").write_text(report.to_json() + "\n", encoding="utf-8")
    return 0

