"""``embedlab train autoencoder``, ``encode``, ``decode`` and ``eval reconstruction``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from embedlab.cli.options import add_overwrite

AUTOENCODER_HELP = """Train an invertible sentence embedding: a recurrent autoencoder (Wilkerson 2023) that reads a
sentence reversed into one vector and regresses the sentence's word vectors back out of it (no
softmax), decoded by the nearest word. Any word vectors work:
    embedlab distill --out x2s                                    # embedlab's own static vectors, or
    embedlab train autoencoder --vectors googlenews-13k ...       # the paper's GoogleNews vectors (13k words)
    embedlab train autoencoder --vectors x2s --corpus en-mix --out ae

Match drop (--match-drop, default 1) removes positions that already decode right from the loss. The
defaults fit a CPU (512 wide, Adam lr 1e-4); the paper used 10,000 wide layers on a GPU with --lr 4.2e-5. The best
model by exact-sentence rate on held-out sentences is written to --out as training goes (a killed
run resumes from --out/checkpoint when started again)."""


def register_train(tsub: Any) -> None:
    from embedlab.autoencoder.training import AutoencoderTrainConfig as C

    p = tsub.add_parser("autoencoder", help="invertible sentence embeddings (residual recurrent autoencoder)",
                        description=AUTOENCODER_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vectors", required=True, help="word vectors: an embedlab folder, a word2vec file, or a "
                   "registered vectors dataset (googlenews-13k)")
    p.add_argument("--corpus", default="en-mix", help="registered corpus or a text file, one sentence per line "
                   "(default: en-mix)")
    p.add_argument("--valid", type=Path, default=None, metavar="FILE", help="validation sentences (default: the "
                   "corpus's valid split, or its last sentences)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="model folder (also checkpoints, metrics)")
    add_overwrite(p)
    p.add_argument("--preset", choices=["cpu", "paper"], default="cpu",
                   help="cpu (default): the design that reconstructs on a CPU (reduced word vectors, a decoder "
                   "that also reads the previous word, a length curriculum); paper: the reference code's wiring "
                   "and settings at the width you give (--hidden); the options below override either")
    p.add_argument("--cell", choices=["residual", "gru"], default=None, help="recurrent cell (default residual)")
    p.add_argument("--hidden", type=int, default=None, help=f"recurrent width (default {C.hidden})")
    p.add_argument("--sentence-dim", type=int, default=None, help=f"sentence vector size (default {C.sentence_dim}; "
                   "paper preset: --hidden)")
    p.add_argument("--word-dim", type=int, default=None, help=f"reduce the word vectors to their top N whitened "
                   f"principal directions (default {C.word_dim}; paper preset: all)")
    p.add_argument("--decoder-input", choices=["sentence", "position", "previous"], default=None,
                   help=f"what the decoder reads besides the sentence vector (default {C.decoder_input}; paper: "
                   "sentence = the sentence vector only)")
    p.add_argument("--extra-blocks", type=int, default=None, help="extra residual blocks per step (default 0)")
    p.add_argument("--dropout", type=float, default=None, help=f"after the read-out and in the decoder (default {C.dropout}; the paper 0.5 for long runs)")
    p.add_argument("--max-length", type=int, default=None, help=f"longest training sentence in words (default {C.max_length}; paper: 59)")
    p.add_argument("--curriculum-steps", type=int, default=None, metavar="STEPS", help="grow the longest training "
                   f"sentence from {C.curriculum_start} words to --max-length over this many steps (default {C.curriculum_steps}; 0 = off)")
    p.add_argument("--vocab", dest="max_vocab", type=int, default=None, help=f"most frequent corpus words kept (default {C.max_vocab})")
    p.add_argument("--match-drop", type=float, default=None, metavar="P",
                   help="probability of dropping an already-right position from the loss (default 1; 0 = off)")
    p.add_argument("--loss", choices=["mse", "cosine"], default=None, help="regression loss (default mse)")
    p.add_argument("--no-whiten", dest="whiten", action="store_const", const=False, default=None,
                   help="only centre the word vectors (default: centre and whiten them, which learns faster)")
    p.add_argument("--lr", type=float, default=None, help=f"Adam learning rate (default {C.lr:g}; paper 4.2e-5)")
    p.add_argument("--warmup", dest="warmup_steps", type=int, default=None, metavar="STEPS",
                   help=f"linear learning-rate warm-up (default {C.warmup_steps})")
    p.add_argument("--lr-decay", type=float, default=None, help=f"lr multiplier per step (default {C.lr_decay})")
    p.add_argument("--grad-clip", type=float, default=None, help=f"gradient-norm clipping (default {C.grad_clip}; paper: 0 = off)")
    p.add_argument("--batch-size", type=int, default=None, help=f"sentences per step (default {C.batch_size})")
    p.add_argument("--epochs", type=int, default=None, help=f"passes over the corpus (default {C.epochs})")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps")
    p.add_argument("--max-sentences", type=int, default=None, help="train on the first N usable sentences only")
    p.add_argument("--eval-every", type=int, default=None, metavar="STEPS", help=f"validate every N steps (default {C.eval_every})")
    p.add_argument("--seed", type=int, default=None)
    p.set_defaults(func=cmd_train)


def register(sub: Any) -> None:
    e = sub.add_parser("encode", help="sentences -> vectors (.npy) with a sentence autoencoder",
                       description="Encode one sentence per line into an (n, d) float32 .npy array.")
    e.add_argument("model", type=Path, help="autoencoder folder (embedlab train autoencoder)")
    e.add_argument("-i", "--input", required=True, help="text file, one sentence per line ('-' = stdin)")
    e.add_argument("-o", "--output", type=Path, required=True, help="the .npy file to write")
    e.set_defaults(func=cmd_encode)
    d = sub.add_parser("decode", help="vectors (.npy) -> sentences with a sentence autoencoder",
                       description="Decode an (n, d) .npy array of sentence vectors, one sentence per line.")
    d.add_argument("model", type=Path, help="autoencoder folder")
    d.add_argument("-i", "--input", type=Path, required=True, help=".npy array of sentence vectors")
    d.add_argument("--max-words", type=int, default=None, help="stop each sentence after this many words")
    _beam_option(d)
    d.set_defaults(func=cmd_decode)


def _beam_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--beam", type=int, default=1, help="beam width for a decoder that reads the previous word "
                   "(default 1 = greedy; 4 is slower and more often exact)")


def register_eval(esub: Any) -> None:
    r = esub.add_parser("reconstruction", help="encode-decode accuracy of a sentence autoencoder, by length",
                        description="Tight (exact) and loose (letters only) word accuracy and the exact-sentence "
                                    "rate by sentence length, with a PNG plot against length.")
    r.add_argument("model", type=Path, help="autoencoder folder")
    r.add_argument("--text", required=True, help="text file, one sentence per line, or a registered corpus (its test split)")
    r.add_argument("--limit", type=int, default=None, help="score the first N sentences only")
    r.add_argument("--plot", type=Path, default=None, metavar="PNG", help="write the accuracy-by-length plot here")
    r.add_argument("--json", type=Path, default=None, help="also write the scores as JSON")
    _beam_option(r)
    r.set_defaults(func=cmd_eval)


def _load(path: Path, beam: int = 1) -> Any:
    from embedlab.autoencoder.model import SentenceAutoencoder
    from embedlab.errors import EmbedlabError

    if beam < 1:
        raise EmbedlabError(f"--beam must be 1 (greedy) or more, got {beam}")
    model = SentenceAutoencoder.load(path)
    model.beam = beam
    return model


def _lines(source: str) -> list[str]:
    """Every line of a file (or stdin), one sentence each: row i of the output is line i + 1.

    Raises:
        DataError: the file cannot be read, or a line is blank (it would have no row).
    """
    from embedlab.errors import DataError

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DataError(f"{source}: cannot read ({exc})") from exc
    lines = text.splitlines()
    blank = [n for n, line in enumerate(lines, 1) if not line.strip()]
    if blank:
        raise DataError(f"{source}: line {blank[0]} is blank ({len(blank)} blank lines in all); each line is one "
                        "sentence and one row of the output, so remove blank lines or put text on them")
    return lines


def cmd_train(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from embedlab.autoencoder.training import AutoencoderTrainConfig, preset, train_autoencoder
    from embedlab.errors import EmbedlabError
    from embedlab.loading import load_vectors
    from embedlab.train.loop import is_main_process

    names = {f.name for f in fields(AutoencoderTrainConfig)}
    config = preset(args.preset, **{k: v for k, v in vars(args).items() if k in names and v is not None})
    vectors = load_vectors(args.vectors)
    if args.word_dim is not None and args.word_dim > vectors.dim:  # the default only caps; a typed value must fit
        raise EmbedlabError(f"--word-dim {args.word_dim} is more than the word vectors' {vectors.dim} dimensions; "
                            f"give at most {vectors.dim} or leave it out")
    model, report = train_autoencoder(config, vectors, args.corpus, args.out, valid=args.valid,
                                      progress=not args.quiet, overwrite=args.overwrite)
    if not is_main_process():
        return 0
    print(f"wrote {args.out}: {report['params']:,} parameters, {report['steps']:,} steps in {report['seconds']:.0f} s "
          f"({report['tokens_per_s']:.0f} tokens/s); valid exact-sentence rate {100 * (report['valid_exact'] or 0):.1f}%")
    sample = ["the president spoke to the nation .", "it was a long and cold winter ."]
    for source, output in zip(sample, model.reconstruct(sample), strict=True):
        print(f"  {source}  ->  {output}")
    return 0


def cmd_encode(args: argparse.Namespace) -> int:
    import numpy as np

    model = _load(args.model)
    sentences = _lines(args.input)
    vectors = model.encode(sentences)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.output, vectors)
    print(f"wrote {args.output}: {vectors.shape[0]} x {vectors.shape[1]} float32", file=sys.stderr)
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    import numpy as np

    from embedlab.errors import DataError

    model = _load(args.model, args.beam)
    try:
        vectors = np.load(args.input, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"{args.input}: not a readable .npy array ({exc})") from exc
    for sentence in model.decode(np.atleast_2d(vectors), max_words=args.max_words):
        print(sentence)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from embedlab.autoencoder.metrics import evaluate_reconstruction
    from embedlab.data.corpus import resolve_corpus

    model = _load(args.model, args.beam)
    corpus, _ = resolve_corpus(args.text, split="test")
    sentences = list(corpus)[: args.limit]
    report = evaluate_reconstruction(model, sentences, examples=3)
    columns = ["length", "sentences", "words", "word_acc_tight", "word_acc_loose", "exact_sentences"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in report.rows():
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")
    print(f"\nunknown words in the text: {100 * report.unknown_share:.1f}% (scored as <unk>)")
    for source, output in report.examples:
        print(f"  in:  {source}\n  out: {output}")
    if args.plot is not None:
        from embedlab.evaluation.report import render_chart

        png = render_chart(report.chart())
        if png is None:
            print("no plot: matplotlib is not installed (pip install embedlab[plot])", file=sys.stderr)
        else:
            args.plot.parent.mkdir(parents=True, exist_ok=True)
            args.plot.write_bytes(png)
            print(f"wrote {args.plot}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0
