"""``embedlab train simcse|diffcse|mlm``: contrastive sentence encoders and DiffCSE's small generator."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from embedlab.cli.options import add_overwrite

CONTRASTIVE_HELP = """Train a sentence encoder with {name} on your own text.

Encoders: minilm (the packaged all-MiniLM-L6-v2, adapted), transformer (--model FOLDER or hub name),
rnn (a bidirectional GRU/LSTM over static vectors) and bag (a trainable bag of static vectors):
    embedlab train {cmd} --encoder rnn --vectors x2s --corpus en-mix --out enc
    embedlab eval sts enc
{extra}
The best encoder by STS12 Spearman (the dev set, every --eval-every steps) is written to --out as an
embedlab folder, plus a sentence-transformers copy in --out/sentence-transformers (an RNN encoder's
copy, or a transformer's pooled by avg_first_last/avg_top2, loads with trust_remote_code=True where
embedlab is installed). A killed run resumes from --out/checkpoint when started again with the same
arguments."""

DIFFCSE_EXTRA = """
DiffCSE adds replaced-token detection: 30% of the tokens are masked and filled by a frozen
--generator; a discriminator given the original sentence's vector finds the replaced ones (loss
weight --lambda 0.005). Generators: unigram or random replacement (no model needed), an embedlab
language model folder (embedlab train lm), or a masked LM folder, e.g. the small one trained on the
corpus with the encoder's tokenizer:
    embedlab train mlm --tokenizer minilm --out mlm          # for --encoder minilm
    embedlab train mlm --tokenizer words --out mlm-words     # for --encoder rnn / bag
    embedlab train diffcse --encoder minilm --generator mlm --out enc
"""


def register_train(tsub: Any) -> None:
    from embedlab.contrastive.training import ContrastiveTrainConfig as C

    for cmd, name, extra in (("simcse", "unsupervised SimCSE (or supervised, with --triplets)", ""),
                             ("diffcse", "DiffCSE (SimCSE + conditional replaced-token detection)", DIFFCSE_EXTRA)):
        p = tsub.add_parser(cmd, help=f"a sentence encoder by {name}",
                            description=CONTRASTIVE_HELP.format(name=name, cmd=cmd, extra=extra),
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--encoder", choices=["minilm", "transformer", "rnn", "bag"], default="minilm",
                       help="what to train (default minilm)")
        p.add_argument("--model", default=None, help="--encoder transformer: a Hugging Face folder or hub name; "
                       "or an embedlab encoder folder to go on training")
        p.add_argument("--vectors", default=None, help="static vectors for rnn/bag (embedlab folder, word2vec file "
                       "or googlenews-13k); without them the table starts random")
        p.add_argument("--pooler", default=None, help="transformer: cls, cls_before_pooler, avg (default), avg_first_last, "
                       "avg_top2; rnn: mean (default), max, last; bag: mean (default), max")
        p.add_argument("--cell", choices=["gru", "lstm"], default="gru", help="rnn cell (default gru)")
        p.add_argument("--hidden", type=int, default=256, help="rnn width per direction (default 256)")
        p.add_argument("--layers", type=int, default=1, help="rnn layers (default 1)")
        p.add_argument("--dropout", type=float, default=0.1, help="rnn/bag dropout, SimCSE's augmentation (default 0.1)")
        p.add_argument("--word-dropout", type=float, default=0.3, help="bag: chance a word is left out of a view "
                       "(default 0.3)")
        p.add_argument("--corpus", default="en-mix", help="registered corpus or a text file, one sentence per line")
        if cmd == "simcse":
            p.add_argument("--triplets", type=Path, default=None, metavar="TSV", help="supervised SimCSE: "
                           "anchor<TAB>positive[<TAB>hard negative] per line (replaces --corpus)")
        else:
            p.add_argument("--generator", default=C.generator, help="unigram (default), random, a masked-LM folder "
                           "or hub name, or an embedlab LM folder")
            p.add_argument("--lambda", dest="lambda_rtd", type=float, default=C.lambda_rtd,
                           help=f"weight of the replaced-token loss (default {C.lambda_rtd})")
            p.add_argument("--mask-ratio", type=float, default=C.mask_ratio, help=f"share of tokens edited (default {C.mask_ratio})")
            p.add_argument("--disc-hidden", type=int, default=C.disc_hidden, help=f"discriminator width (default {C.disc_hidden})")
            p.add_argument("--disc-layers", type=int, default=C.disc_layers, help=f"discriminator layers (default {C.disc_layers})")
        p.add_argument("--head", choices=["auto", "none", "mlp", "bn"], default="auto",
                       help="training-only projection head (auto = mlp, SimCSE's; DiffCSE's paper used bn)")
        p.add_argument("--temperature", type=float, default=C.temperature, help=f"(default {C.temperature})")
        p.add_argument("--lr", type=float, default=None, help="learning rate (default 3e-5 transformers, 1e-3 rnn, 1e-4 bag)")
        p.add_argument("--batch-size", type=int, default=C.batch_size, help=f"sentences per step (default {C.batch_size})")
        p.add_argument("--max-length", type=int, default=C.max_length, help=f"tokens per training sentence (default {C.max_length})")
        p.add_argument("--epochs", type=int, default=C.epochs, help="passes over the corpus (default 1)")
        p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps")
        p.add_argument("--max-sentences", type=int, default=None, help="train on the first N sentences only")
        p.add_argument("--eval-every", type=int, default=C.eval_every, metavar="STEPS",
                       help=f"STS12 validation every N steps (default {C.eval_every})")
        p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
        add_overwrite(p)
        p.add_argument("--seed", type=int, default=0)
        p.set_defaults(func=cmd_train, method=cmd)

    from embedlab.contrastive.mlm import MLMTrainConfig as M

    m = tsub.add_parser("mlm", help="a small masked LM on a corpus (DiffCSE's generator)",
                        description="Train a small BERT masked language model from scratch on a corpus, with the "
                                    "tokenizer of the encoder DiffCSE will train, for --generator.",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    m.add_argument("--tokenizer", default="minilm", help="minilm (the packaged WordPiece vocabulary), words (the corpus's "
                   "most frequent words) or a folder with tokenizer.json (an encoder folder)")
    m.add_argument("--corpus", default="en-mix", help="registered corpus or a text file")
    m.add_argument("--hidden", type=int, default=M.hidden, help=f"(default {M.hidden})")
    m.add_argument("--layers", type=int, default=M.layers, help=f"(default {M.layers})")
    m.add_argument("--heads", type=int, default=M.heads, help=f"(default {M.heads})")
    m.add_argument("--vocab", type=int, default=M.max_vocab, help=f"--tokenizer words: words kept (default {M.max_vocab})")
    m.add_argument("--lr", type=float, default=M.lr, help=f"(default {M.lr:g})")
    m.add_argument("--batch-size", type=int, default=M.batch_size, help=f"(default {M.batch_size})")
    m.add_argument("--max-steps", type=int, default=M.max_steps, help=f"(default {M.max_steps})")
    m.add_argument("--max-sentences", type=int, default=None, help="train on the first N sentences only")
    m.add_argument("--eval-every", type=int, default=M.eval_every, help=f"(default {M.eval_every})")
    m.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder (a Hugging Face masked LM)")
    add_overwrite(m)
    m.add_argument("--seed", type=int, default=0)
    m.set_defaults(func=cmd_mlm)


def make_encoder(args: argparse.Namespace, texts: list[str]) -> Any:
    """The encoder the arguments describe (an existing embedlab encoder folder goes on training)."""
    from embedlab.contrastive.encoders import build_encoder, load_sentence_encoder
    from embedlab.loading import load_vectors

    if args.model and args.encoder != "transformer":
        encoder = load_sentence_encoder(args.model)
        return encoder.train()
    vectors = load_vectors(args.vectors) if args.vectors else None
    encoder = build_encoder(args.encoder, texts=texts, vectors=vectors, model=args.model or "minilm", pooler=args.pooler,
                            cell=args.cell, hidden=args.hidden, layers=args.layers, dropout=args.dropout)
    if args.encoder == "bag":
        encoder.word_dropout = args.word_dropout
    return encoder


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from embedlab.contrastive.training import ContrastiveTrainConfig, train_contrastive
    from embedlab.data.corpus import corpus_texts
    from embedlab.evaluation.sts import evaluate_sts_sets
    from embedlab.train.loop import is_main_process

    triplets = getattr(args, "triplets", None)
    texts = [] if triplets else [t for t in corpus_texts(args.corpus, "train") if t.strip()][: args.max_sentences]
    torch.manual_seed(args.seed)  # --seed also fixes the encoder's starting weights
    encoder = make_encoder(args, texts)
    extra = {} if args.method == "simcse" else {
        "generator": args.generator, "lambda_rtd": args.lambda_rtd, "mask_ratio": args.mask_ratio,
        "disc_hidden": args.disc_hidden, "disc_layers": args.disc_layers}
    config = ContrastiveTrainConfig(method=args.method, head=args.head, temperature=args.temperature, lr=args.lr,
                                    batch_size=args.batch_size, max_length=args.max_length, epochs=args.epochs,
                                    max_steps=args.max_steps, eval_every=args.eval_every, seed=args.seed, **extra)
    best, report = train_contrastive(encoder, config, texts, args.out, triplets=triplets, progress=not args.quiet,
                                     overwrite=args.overwrite)
    if not is_main_process():
        return 0
    test = evaluate_sts_sets(best, ["sts14-onwn", "sts14-headlines"])
    print(f"wrote {args.out}: {report['steps']:,} steps in {report['seconds']:.0f} s; best STS12 (dev) "
          f"{report['best_dev']:.1f}; test " + ", ".join(f"{r.dataset} {r.spearman:.1f}" for r in test))
    if report.get("sentence_transformers"):
        flag = ", trust_remote_code=True" if report.get("sentence_transformers_trust_remote_code") else ""
        print(f"sentence-transformers copy: SentenceTransformer({str(args.out / report['sentence_transformers'])!r}{flag})")
    disc = report.get("discriminator") or {}
    if "rtd_h_gain" in disc and "rtd_acc" in disc:
        print(f"discriminator (last logged steps): replaced-token accuracy {disc['rtd_acc']:.3f}; h gain "
              f"{disc['rtd_h_gain']:+.4f} (its loss with another sentence's vector minus with its own; above 0, "
              "the RTD loss reaches the encoder)")
    return 0


def cmd_mlm(args: argparse.Namespace) -> int:
    from embedlab.contrastive.mlm import MLMTrainConfig, train_mlm
    from embedlab.train.loop import is_main_process

    config = MLMTrainConfig(hidden=args.hidden, layers=args.layers, heads=args.heads, max_vocab=args.vocab, lr=args.lr,
                            batch_size=args.batch_size, max_steps=args.max_steps, max_sentences=args.max_sentences,
                            eval_every=args.eval_every, seed=args.seed)
    _, report = train_mlm(config, args.tokenizer, args.corpus, args.out, progress=not args.quiet,
                          overwrite=args.overwrite)
    if is_main_process():
        print(f"wrote {args.out}: {report['steps']:,} steps in {report['seconds']:.0f} s; held-out masked-token "
              f"accuracy {100 * (report['valid_masked_accuracy'] or 0):.1f}% (vocabulary {report['vocab_size']:,})")
    return 0
