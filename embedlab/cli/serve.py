"""``embedlab serve``: models behind an HTTP server (OpenAI and TEI protocols, and more)."""

from __future__ import annotations

import argparse
import os
from typing import Any

SERVE_HELP = """Serve models over HTTP until Ctrl-C (or SIGTERM), finishing the requests in flight.

Any model embedlab.load opens: a folder, a word2vec file, minilm, a vectors dataset name. Each is
served under its folder or file name, or the NAME given with --name NAME=MODEL; requests that name
no model get the first.

routes:
  POST /v1/embeddings   OpenAI embeddings (the openai client works: base_url=http://HOST:PORT/v1)
  GET  /v1/models       the models served and what each does
  POST /embed           Text Embeddings Inference (TEI); GET /info, GET /health
  POST /v1/similar      nearest words (word vectors): {"positive": [...], "negative": [...], "topn": 10}
  POST /v1/decode       sentence vectors -> sentences (an autoencoder)
  POST /v1/generate     sampled text (a language model): prompt, max_tokens, temperature, top_k, top_p, seed
  GET  /metrics         Prometheus metrics;  GET /docs: every route and field

examples:
  embedlab serve googlenews-13k minilm
  embedlab serve --name words=x2s --name sentences=minilm --port 8080 --api-key SECRET
  curl localhost:8000/v1/embeddings -H 'content-type: application/json' -d '{"input": "a cat", "model": "minilm"}'"""


# ServeSettings' whole-number fields -> what their option sets.
COUNTS = {
    "max_batch_tokens": "token budget of one merged encode call",
    "encode_batch_size": "sentences per forward pass within a merged batch",
    "max_inputs": "inputs per request",
    "max_input_chars": "characters per input",
    "max_body_bytes": "bytes per request body",
    "max_queue": "requests waiting per model before 503 + Retry-After",
    "max_generate_tokens": "the largest max_tokens a /v1/generate request may ask for",
    "workers": "server processes, each with its own copy of the models",
}


def register(sub: Any) -> None:
    from embedlab.serve.settings import ServeSettings

    d = ServeSettings()
    p = sub.add_parser("serve", help="serve models over HTTP (OpenAI and TEI embeddings, similar words, decode, generate)",
                       description=SERVE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="*", metavar="MODEL", help="models to serve (a folder, a file or a name)")
    p.add_argument("--name", action="append", default=[], metavar="NAME=MODEL",
                   help="serve MODEL under NAME (repeatable)")
    p.add_argument("--host", default=d.host, help=f"address to listen on (default {d.host}: this machine only)")
    p.add_argument("--port", type=int, default=d.port, help=f"port (default {d.port})")
    p.add_argument("--api-key", default=None, metavar="KEY",
                   help="require 'Authorization: Bearer KEY' (default: $EMBEDLAB_API_KEY, else no key)")
    for field, what in COUNTS.items():  # one option per ServeSettings field, named after it
        p.add_argument("--" + field.replace("_", "-"), type=int, default=getattr(d, field), metavar="N",
                       help=f"{what} (default {getattr(d, field)})")
    p.add_argument("--graceful-timeout", type=float, default=d.graceful_timeout_s, metavar="S",
                   help=f"on shutdown, seconds the requests in flight may take (default {d.graceful_timeout_s:g})")
    p.add_argument("--access-log", action="store_true", help="log every request (off by default: it costs time)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from embedlab.errors import EmbedlabError, require
    from embedlab.serve.models import model_name

    models: dict[str, str] = {}
    named = [(model_name(spec), spec) for spec in args.models]
    for item in args.name:
        name, sep, spec = item.partition("=")
        if not sep or not name or not spec:
            raise EmbedlabError(f"--name takes NAME=MODEL, got {item!r}")
        named.append((name, spec))
    for name, spec in named:
        if name in models:
            raise EmbedlabError(f"two models are named {name!r}: give one of them another with --name NAME=MODEL")
        models[name] = spec
    if not models:
        raise EmbedlabError("give at least one MODEL to serve (e.g. embedlab serve googlenews-13k)")
    require("fastapi", "serve")
    require("uvicorn", "serve")
    from embedlab.serve.server import serve
    from embedlab.serve.settings import ServeSettings

    api_key = args.api_key if args.api_key is not None else os.environ.get("EMBEDLAB_API_KEY") or None
    settings = ServeSettings(models=models, host=args.host, port=args.port, api_key=api_key,
                             graceful_timeout_s=args.graceful_timeout,
                             **{field: getattr(args, field) for field in COUNTS})
    serve(settings, access_log=args.access_log)
    return 0
