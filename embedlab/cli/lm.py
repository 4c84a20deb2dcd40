"""``embedlab train lm``, ``embedlab generate`` and ``embedlab eval lm``: recurrent language models."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from embedlab.cli.options import add_overwrite

LM_HELP = """Train a recurrent language model (pytorch/examples word_language_model, as a library).

  word level (default): the --vocab most frequent lower-cased words, the rest <unk>; every line ends
  with <eos>. Character level (--level char): the lecture's Shakespeare generator, e.g.
      embedlab data fetch shakespeare
      embedlab train lm --level char --corpus shakespeare --cell lstm --layers 2 --emb 128 --hidden 512 --out shk

Weight tying (Press & Wolf 2017): --tied shares the input and softmax embeddings (needs --emb equal
to --hidden, or --tie-projection). Without dropout, add --proj-reg LAMBDA (about 1e-4) for the
paper's projection regularization (with SGD lower --lr to about 5: P makes lr 20 unstable). The
best model by validation perplexity is written to --out as training goes (a killed run resumes from
--out/checkpoint when started again)."""


def register_train(tsub: Any) -> None:
    from embedlab.blocks.recurrent import CELLS

    p = tsub.add_parser("lm", help="recurrent language model (RNN/LSTM/GRU, weight tying)", description=LM_HELP,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="en-mix", help="registered corpus (train/valid/test splits used) or a text "
                   "file, one sentence per line (its last 2%% of tokens validate) (default: en-mix)")
    p.add_argument("--valid", type=Path, default=None, metavar="FILE", help="validation text (overrides the split)")
    p.add_argument("--test", type=Path, default=None, metavar="FILE", help="test text, scored at the end")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="model folder (also checkpoints, metrics)")
    add_overwrite(p)
    p.add_argument("--level", choices=["word", "char"], default="word", help="tokens (default word)")
    p.add_argument("--vocab", type=int, default=10_000, help="vocabulary size incl. <unk> and <eos> (default 10000)")
    p.add_argument("--cell", choices=CELLS, default="lstm", help="recurrent cell (default lstm)")
    p.add_argument("--layers", type=int, default=2, help="stacked layers (default 2)")
    p.add_argument("--emb", type=int, default=200, help="embedding size (default 200)")
    p.add_argument("--hidden", type=int, default=200, help="hidden size per layer (default 200)")
    p.add_argument("--dropout", type=float, default=0.2, help="on embeddings, between layers, on outputs (default 0.2)")
    p.add_argument("--tied", action="store_true", help="tie input and output embeddings")
    p.add_argument("--tie-projection", action="store_true", help="with --tied and hidden != emb: project hidden -> emb")
    p.add_argument("--proj-reg", type=float, default=0.0, metavar="LAMBDA",
                   help="projection P before the tied softmax and LAMBDA*||P||^2 in the loss (needs --tied)")
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd", help="sgd (lr/4 on plateau) or adam")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default 20 for sgd, 1e-3 for adam)")
    p.add_argument("--clip", type=float, default=0.25, help="gradient-norm clipping (default 0.25)")
    p.add_argument("--batch-size", type=int, default=20, help="parallel text rows (default 20)")
    p.add_argument("--bptt", type=int, default=35, help="truncated BPTT window (default 35)")
    p.add_argument("--epochs", type=int, default=1, help="passes over the training text (default 1)")
    p.add_argument("--max-tokens", type=int, default=None, help="stop after this many training tokens")
    p.add_argument("--eval-every", type=int, default=0, metavar="STEPS",
                   help="validate every N steps as well as after each epoch")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_train_lm)


def register(sub: Any) -> None:
    g = sub.add_parser("generate", help="sample text from a trained language model",
                       description="Sample token by token from a language model folder (embedlab train lm).")
    g.add_argument("model", type=Path, help="language model folder")
    g.add_argument("--prompt", default="", help="text to continue (default: a new line)")
    g.add_argument("--max-tokens", type=int, default=50, help="tokens (words or characters) to sample (default 50)")
    g.add_argument("--temperature", type=float, default=1.0, help="<1 safer, >1 wilder; 0 = greedy (default 1)")
    g.add_argument("--top-k", type=int, default=0, help="sample among the K most likely (default 0 = all)")
    g.add_argument("--top-p", type=float, default=1.0, help="nucleus: the smallest set with this much mass (default 1)")
    g.add_argument("--seed", type=int, default=None, help="random seed for a repeatable sample")
    g.add_argument("--samples", type=int, default=1, help="how many samples (default 1)")
    g.set_defaults(func=cmd_generate)


def register_eval(esub: Any) -> None:
    e = esub.add_parser("lm", help="perplexity of a language model on a text file",
                        description="Perplexity = exp(mean next-token NLL), <eos> predictions included, the "
                                    "state carried through the text (pytorch/examples' protocol).")
    e.add_argument("model", type=Path, help="language model folder")
    e.add_argument("--text", required=True, help="text file, one sentence per line, or a registered corpus "
                   "(its test split)")
    e.add_argument("--bptt", type=int, default=35)
    e.set_defaults(func=cmd_eval_lm)


def _load_lm(path: Path) -> Any:
    from embedlab.errors import EmbedlabError
    from embedlab.lm.model import LanguageModel
    from embedlab.loading import load

    model = load(path)
    if not isinstance(model, LanguageModel):
        raise EmbedlabError(f"{path}: holds a {type(model).__name__}, not a language model")
    return model


def cmd_train_lm(args: argparse.Namespace) -> int:
    from embedlab.lm.training import LMTrainConfig, train_language_model
    from embedlab.train.loop import is_main_process

    config = LMTrainConfig(level=args.level, vocab_size=args.vocab, cell=args.cell, emb=args.emb, hidden=args.hidden,
                           layers=args.layers, dropout=args.dropout, tied=args.tied, tie_projection=args.tie_projection,
                           proj_reg=args.proj_reg, optimizer=args.optimizer, lr=args.lr, grad_clip=args.clip,
                           batch_size=args.batch_size, bptt=args.bptt, epochs=args.epochs, max_tokens=args.max_tokens,
                           eval_every=args.eval_every, seed=args.seed)
    lm, report = train_language_model(config, args.corpus, args.out, valid=args.valid, test=args.test,
                                      progress=not args.quiet, overwrite=args.overwrite)
    if not is_main_process():
        return 0
    print(f"wrote {args.out}: {report['params']:,} parameters, {report['train_tokens']:,} training tokens "
          f"in {report['seconds']:.0f} s ({report['tokens_per_s']:.0f} tokens/s)")
    print(f"valid perplexity {report['valid_ppl']:.2f}" +
          (f", test perplexity {report['test_ppl']:.2f}" if "test_ppl" in report else ""))
    print("sample:", lm.generate(max_tokens=30, seed=0, temperature=0.8).replace("\n", " / "))
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    lm = _load_lm(args.model)
    for i in range(args.samples):
        seed = None if args.seed is None else args.seed + i
        text = lm.generate(args.prompt, max_tokens=args.max_tokens, temperature=args.temperature, top_k=args.top_k,
                           top_p=args.top_p, seed=seed)
        sep = "" if lm.tokenizer.level == "char" else " "
        print(args.prompt + (sep if args.prompt else "") + text)
        if i + 1 < args.samples:
            print("---")
    return 0


def cmd_eval_lm(args: argparse.Namespace) -> int:
    from embedlab.data.corpus import resolve_corpus

    lm = _load_lm(args.model)
    corpus, _ = resolve_corpus(args.text, split="test")
    stream = lm.tokenizer.encode_stream(corpus)
    from embedlab.lm.batching import stream_nll

    total, count = stream_nll(lm.module, stream, bptt=args.bptt)
    import math

    ppl = math.exp(total / count)
    print(json.dumps({"model": str(args.model), "text": str(args.text), "tokens": count, "perplexity": round(ppl, 3)}))
    return 0
