"""``embedlab train classifier`` and ``embedlab train tagger``: the other uses of RNNs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from embedlab.cli.options import add_overwrite


def _shared(p: argparse.ArgumentParser, *, hidden: int, epochs: int, dropout: float) -> None:
    from embedlab.blocks.recurrent import CELLS

    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="model folder (also checkpoints, metrics)")

    add_overwrite(p)
    p.add_argument("--vectors", default=None, metavar="V", help="start the word embedding from these vectors "
                   "(embedlab folder or word2vec file); --emb then defaults to their size")
    p.add_argument("--cell", choices=CELLS, default="lstm", help="recurrent cell (default lstm)")
    p.add_argument("--emb", type=int, default=None, help="embedding size (default: the vectors', else 300/100)")
    p.add_argument("--hidden", type=int, default=hidden, help=f"hidden size per direction (default {hidden})")
    p.add_argument("--layers", type=int, default=1, help="stacked layers (default 1)")
    p.add_argument("--dropout", type=float, default=dropout, help=f"dropout (default {dropout})")
    p.add_argument("--epochs", type=int, default=epochs, help=f"passes over the training set (default {epochs})")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate")
    p.add_argument("--seed", type=int, default=0)


def register_train(tsub: Any) -> None:
    c = tsub.add_parser("classifier", help="biRNN text classifier (sentiment: MR-4000 by default)",
                        description="A bidirectional RNN over the words, pooled over time (mean, max or the final "
                                    "states), then softmax. The data is 'mr' or a label<TAB>text file; --test-share "
                                    "of it is held out for the reported accuracy, 10%% of the rest picks the epoch.")
    c.add_argument("--data", default="mr", help="'mr' (fetched) or a TSV file of label<TAB>text (default mr)")
    c.add_argument("--test-share", type=float, default=0.1, help="held out for the final accuracy (default 0.1)")
    c.add_argument("--pooling", choices=["mean", "max", "last"], default="mean", help="default mean")
    c.add_argument("--freeze-embeddings", action="store_true", help="keep the --vectors rows fixed")
    _shared(c, hidden=150, epochs=8, dropout=0.5)
    c.set_defaults(func=cmd_classifier)

    t = tsub.add_parser("tagger", help="biRNN part-of-speech tagger (Brown corpus by default)",
                        description="A bidirectional RNN with a softmax per token over the tags. Trains on the "
                                    "train part of brown-tagged (blocks of 50 sentences, 1 in 20 held out for "
                                    "test and 1 in 20 for validation), reports held-out accuracy, and the "
                                    "accuracy on the WSJ sample in the universal tagset.")
    t.add_argument("--data", default="brown-tagged", help="registered tagged corpus or a file of word/TAG lines")
    t.add_argument("--no-wsj", action="store_true", help="skip the WSJ cross-corpus test")
    _shared(t, hidden=128, epochs=3, dropout=0.3)
    t.set_defaults(func=cmd_tagger)


def _vectors(spec: str | None) -> Any:
    if spec is None:
        return None
    from embedlab.loading import load_vectors

    return load_vectors(spec)


def cmd_classifier(args: argparse.Namespace) -> int:
    import numpy as np

    from embedlab.data.benchmarks import load_classification
    from embedlab.supervised.classification import ClassifierTrainConfig, train_classifier

    texts, labels = load_classification(args.data)
    order = np.random.default_rng(args.seed).permutation(len(texts))
    cut = len(texts) - max(1, round(len(texts) * args.test_share))
    train_idx, test_idx = order[:cut], order[cut:]
    config = ClassifierTrainConfig(cell=args.cell, emb=args.emb, hidden=args.hidden, layers=args.layers,
                                   pooling=args.pooling, dropout=args.dropout, epochs=args.epochs,
                                   batch_size=args.batch_size, lr=args.lr or 1e-3,
                                   freeze_embeddings=args.freeze_embeddings, seed=args.seed)
    model, report = train_classifier([texts[i] for i in train_idx], [labels[i] for i in train_idx], config,
                                     vectors=_vectors(args.vectors), out_dir=args.out, progress=not args.quiet,
                                     overwrite=args.overwrite)
    report["test_accuracy"] = model.accuracy([texts[i] for i in test_idx], [labels[i] for i in test_idx])
    report["test_examples"] = len(test_idx)
    (Path(args.out) / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: held-out accuracy {100 * report['test_accuracy']:.1f}% on {len(test_idx)} examples "
          f"(validation {100 * report['valid_accuracy']:.1f}%)")
    return 0


def cmd_tagger(args: argparse.Namespace) -> int:
    from embedlab.data.corpus import resolve_corpus
    from embedlab.supervised.tagging import TaggerTrainConfig, train_tagger, universal_accuracy
    from embedlab.supervised.tagsets import held_out_split, read_tagged

    corpus, _ = resolve_corpus(args.data)
    split: dict[str, list[Any]] = {"train": [], "valid": [], "test": []}
    for i, sentence in enumerate(read_tagged(corpus, str(args.data))):
        split[held_out_split(i)].append(sentence)
    config = TaggerTrainConfig(cell=args.cell, emb=args.emb, hidden=args.hidden, layers=args.layers,
                               dropout=args.dropout, epochs=args.epochs, batch_size=args.batch_size,
                               lr=args.lr or 2e-3, seed=args.seed)
    tagger, report = train_tagger(split["train"], split["valid"], config, vectors=_vectors(args.vectors),
                                  out_dir=args.out, progress=not args.quiet, overwrite=args.overwrite)
    report["test_accuracy"] = tagger.accuracy(split["test"])
    report["test_tokens"] = sum(len(s) for s in split["test"])
    line = (f"wrote {args.out}: held-out accuracy {100 * report['test_accuracy']:.2f}% on "
            f"{report['test_tokens']:,} tokens ({report['tags']} tags)")
    if not args.no_wsj and args.data == "brown-tagged":
        wsj, _ = resolve_corpus("wsj-tagged")
        report["wsj_universal_accuracy"] = universal_accuracy(tagger, read_tagged(wsj))
        line += f"; WSJ sample, universal tags: {100 * report['wsj_universal_accuracy']:.2f}%"
    (Path(args.out) / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(line)
    return 0
