"""Options that several commands share."""

from __future__ import annotations

import argparse


def add_overwrite(p: argparse.ArgumentParser) -> None:
    """``--overwrite``: the one way to replace what an output folder holds (embedlab.train.run_folder)."""
    p.add_argument("--overwrite", action="store_true",
                   help="replace what the output folder holds. Without it, re-running the same command resumes "
                        "(a new --lr, --epochs or --max-steps is applied) and anything else is refused")
