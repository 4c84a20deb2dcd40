"""The ``embedlab`` command. The CLI is the only part of embedlab that prints.

Subcommands register themselves from one module each (``data``, ``eval``, ``demo``); errors that a
user can fix (``EmbedlabError``) are printed as one line with exit status 2, not as a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from embedlab import __version__
from embedlab.errors import EmbedlabError

EPILOG = """examples:
  embedlab data list                          what can be fetched, with sentence/token counts
  embedlab data fetch en-mix                  fetch the default training corpus (sotu+brown+big+wiki205)
  embedlab eval words vectors.bin             word similarity + analogy of any word2vec file or embedlab folder
  embedlab eval sts minilm                    STS of the packaged all-MiniLM-L6-v2
  embedlab distill --out x2s                  X2Static vectors from all-MiniLM-L6-v2 on en-mix
  embedlab train cbow --out cbow              word2vec CBOW on en-mix, the classic baseline
  embedlab train lm --tied --out lm           a tied 2-layer LSTM language model on en-mix
  embedlab generate lm --prompt "the"         sample from it (--temperature, --top-k, --top-p)
  embedlab train tagger --out pos             a biLSTM POS tagger on the Brown corpus
  embedlab train autoencoder --vectors x2s --out ae   invertible sentence vectors (encode / decode)
  embedlab train simcse --encoder rnn --vectors x2s --out enc   a contrastive sentence encoder (also diffcse)
  embedlab serve googlenews-13k minilm        OpenAI/TEI embeddings server (also similar words, decode, generate)
  embedlab demo                               the main job: fetch, evaluate, write a report

Data is cached under $EMBEDLAB_HOME (default: ~/.cache/embedlab)."""


def build_parser() -> argparse.ArgumentParser:
    from embedlab.cli import autoencoder, data, demo, evaluate, lm, serve, static, train

    parser = argparse.ArgumentParser(
        prog="embedlab",
        description="Learn, distill, evaluate and serve text embeddings.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"embedlab {__version__}")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="count", default=0, help="more log output and the trace of an error (-vv for debug)")
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors, no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    data.register(sub)
    evaluate.register(sub)
    static.register(sub)
    train.register(sub)
    lm.register(sub)
    autoencoder.register(sub)
    serve.register(sub)
    demo.register(sub)
    return parser


def configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s" if verbose else "%(message)s", force=True)
    if quiet:
        import os

        os.environ["TQDM_DISABLE"] = "1"
    for noisy in ("sentence_transformers", "transformers", "httpx", "huggingface_hub", "urllib3", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose < 2 else logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    configure_logging(args.verbose, args.quiet)
    try:
        return int(args.func(args) or 0)
    except (EmbedlabError, ValueError, OSError) as exc:
        # Errors in what the user asked for (bad settings, a missing or unreadable file): one line,
        # no traceback (-v shows it).
        if args.verbose:
            raise
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in embedlab or a dependency: still one line, the trace on request
        if args.verbose:
            raise
        print(f"error: unexpected {type(exc).__name__}: {_one_line(exc)} (run again with -v for the trace, "
              "and please report it)", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line; an OSError names its file (``[Errno 2] ...: 'x'`` -> ``x: ...``)."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        text = f"{exc.filename}: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
