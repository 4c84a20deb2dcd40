"""``embedlab eval words|sts|probe``: score anyone's embeddings on the packaged benchmarks."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    from embedlab.data.benchmarks import ANALOGY_SETS, STS_SETS, WORD_SIMILARITY_SETS

    p = sub.add_parser("eval", help="evaluate word vectors or sentence encoders",
                       description="Evaluate any embeddings on the packaged benchmarks.")
    esub = p.add_subparsers(dest="eval_command", metavar="WHAT")

    w = esub.add_parser(
        "words", help="word similarity (Spearman) and analogy accuracy of word vectors",
        description=("Word similarity: Spearman of cosine vs human scores, case-insensitive; pairs with an "
                     "unknown word are skipped (--oov skip, gensim's policy) or scored 0 (--oov zero), and "
                     "coverage is reported. Analogy: 3CosAdd/3CosMul, question words excluded, questions with "
                     "an unknown word skipped."))
    w.add_argument("vectors", help="word2vec .txt/.vec/.bin (.gz/.bz2) file or embedlab model folder")
    w.add_argument("--datasets", nargs="+", default=list(WORD_SIMILARITY_SETS), metavar="SET",
                   help=f"word-similarity sets or files (default: all: {' '.join(WORD_SIMILARITY_SETS)})")
    w.add_argument("--analogies", nargs="*", default=list(ANALOGY_SETS), metavar="SET",
                   help="analogy sets or files (default: google msr; give none to skip)")
    w.add_argument("--method", choices=["3cosadd", "3cosmul", "both"], default="3cosadd", help="analogy method")
    w.add_argument("--restrict-vocab", type=int, default=300_000,
                   help="use only the first N rows, the most frequent words (default 300000, as gensim)")
    w.add_argument("--oov", choices=["skip", "zero"], default="skip", help="what to do with unknown words")
    w.add_argument("--json", type=Path, metavar="OUT", help="also write the full results as JSON")
    w.set_defaults(func=cmd_words)

    s = esub.add_parser("sts", help="STS: Spearman x100 of cosine between sentence embeddings vs gold",
                        description="Any STS file in the STS12-16, STS-B or SICK format can be given as a path.")
    s.add_argument("model", help="embedlab folder, word2vec file, sentence-transformers folder, or 'minilm'")
    s.add_argument("--datasets", nargs="+", default=list(STS_SETS), metavar="SET",
                   help=f"STS sets or files (default: {' '.join(STS_SETS)})")
    s.add_argument("--batch-size", type=int, default=64)
    s.add_argument("--json", type=Path, metavar="OUT", help="also write the full results as JSON")
    s.set_defaults(func=cmd_sts)

    c = esub.add_parser("probe", help="classification probe: logistic regression on frozen sentence embeddings")
    c.add_argument("model", help="embedlab folder, word2vec file, sentence-transformers folder, or 'minilm'")
    c.add_argument("--dataset", default="mr", help="'mr' (fetched) or a TSV file of label<TAB>text")
    c.add_argument("--folds", type=int, default=10)
    c.add_argument("--json", type=Path, metavar="OUT", help="also write the full results as JSON")
    c.set_defaults(func=cmd_probe)
    from embedlab.cli import autoencoder, lm

    lm.register_eval(esub)
    autoencoder.register_eval(esub)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def _finish(report: Any, json_path: Path | None) -> int:
    print(report.to_markdown(averages=True))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(report.to_json() + "\n", encoding="utf-8")
        print(f"\nwrote {json_path}")
    return 0


def cmd_words(args: argparse.Namespace) -> int:
    from embedlab.evaluation.analogy import AnalogyMethod
    from embedlab.evaluation.suite import evaluate_word_vectors
    from embedlab.loading import load_vectors

    vectors = load_vectors(args.vectors)
    methods: list[AnalogyMethod] = ["3cosadd", "3cosmul"] if args.method == "both" else [args.method]
    report = evaluate_word_vectors(vectors, args.datasets, args.analogies, analogy_methods=methods,
                                   restrict_vocab=args.restrict_vocab, oov=args.oov)
    report.title = f"word vectors: {args.vectors}"
    return _finish(report, args.json)


def cmd_sts(args: argparse.Namespace) -> int:
    from embedlab.evaluation.results import Report
    from embedlab.evaluation.sts import evaluate_sts_sets
    from embedlab.loading import load_encoder

    encoder = load_encoder(args.model)
    report = Report(evaluate_sts_sets(encoder, args.datasets, batch_size=args.batch_size), title=f"STS: {args.model}")
    return _finish(report, args.json)


def cmd_probe(args: argparse.Namespace) -> int:
    from embedlab.evaluation.probe import evaluate_probe
    from embedlab.evaluation.results import Report
    from embedlab.loading import load_encoder

    encoder = load_encoder(args.model)
    report = Report([evaluate_probe(encoder, args.dataset, folds=args.folds)], title=f"probe: {args.model}")
    return _finish(report, args.json)
