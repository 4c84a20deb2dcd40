"""``embedlab demo``: the main job, with a results table on screen and a report on disk."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="fetch the default corpus, evaluate the packaged teacher, write a report",
        description=(
            "The main job on the built-in corpus (en-mix) and teacher (all-MiniLM-L6-v2, packaged). "
            "Prints each stage's results table and writes report.md, report.html (with plots) and "
            "results.json into the run folder."
        ),
    )
    p.add_argument("--out", type=Path, default=None, help="run folder (default: runs/demo-YYYYmmdd-HHMMSS)")
    p.add_argument("--teacher", default="minilm", help="sentence-transformers folder, 'minilm' (default) or a hub name")
    p.add_argument("--no-probe", action="store_true", help="skip the MR classification probe")
    p.add_argument("--quick", action="store_true", help="evaluate on small slices (a smoke test, not for reporting)")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from embedlab.demo import DemoConfig, run_demo
    from embedlab.evaluation.results import markdown_table

    config = DemoConfig(out=args.out, teacher=args.teacher, probe=not args.no_probe, quick=args.quick)
    _, sections, paths = run_demo(config)
    for section in sections:
        print(f"\n## {section.title}")
        if section.text:
            print(section.text)
        if section.rows:
            print(markdown_table(section.rows, section.columns, digits=3))
    print(f"\nreport: {paths['markdown']}\n        {paths['html']}")
    return 0
