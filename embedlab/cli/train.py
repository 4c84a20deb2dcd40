"""``embedlab train MODEL``: one subcommand per trainable model family."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    from embedlab.cli import autoencoder, contrastive, lm, static, supervised

    p = sub.add_parser("train", help="train a model: cbow, lm, classifier, tagger, autoencoder, simcse, diffcse, mlm",
                       description="Train a model from scratch on a corpus (default: en-mix).")
    tsub = p.add_subparsers(dest="train_command", metavar="MODEL")
    static.register_train(tsub)
    lm.register_train(tsub)
    supervised.register_train(tsub)
    autoencoder.register_train(tsub)
    contrastive.register_train(tsub)
    p.set_defaults(func=lambda args: p.print_help() or 2)
