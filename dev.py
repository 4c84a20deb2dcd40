#!/usr/bin/env python3
"""Set up and run embedlab from a fresh clone, with nothing but Python >= 3.10.

    python3 dev.py demo     # venv + install + fetch data, then `embedlab demo` (train, evaluate, report)
    python3 dev.py test     # venv + install + fetch test data, then ruff, mypy and pytest
    python3 dev.py bench evaluation   # run benchmarks/evaluation.py in the same environment

Each command creates or updates `.venv` next to this file: torch==2.13.0 first (a newer torch would
pull gigabytes of CUDA packages), then the project with its extras, re-installed only when
pyproject.toml changes. Arguments after the command go to the underlying tool.
Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("EMBEDLAB_VENV", ROOT / ".venv"))
TORCH = "torch==2.13.0"
EXTRAS = "teacher,onnx,plot,peers,serve,dev"
DEMO_DATA = ["en-mix", "mr"]
TEST_DATA = ["googlenews-13k", "mr", "en-mix", "minilm-int8-onnx"]


def log(msg: str) -> None:
    print(f"[dev] {msg}", flush=True)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(cmd: list[str], **kwargs: object) -> None:
    log(" ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload]


def ensure_env() -> Path:
    """Create/update the virtual environment; return its python."""
    if sys.version_info < (3, 10):  # noqa: UP036 - this file runs before the venv exists, on any python3
        sys.exit(f"embedlab needs Python >= 3.10; this is {sys.version.split()[0]}")
    py = venv_python()
    if not py.exists():
        log(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    have = subprocess.run([str(py), "-c", "import torch; print(torch.__version__.split('+')[0])"],
                          capture_output=True, text=True)
    if have.returncode != 0 or have.stdout.strip() != TORCH.split("==")[1]:
        run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"])
        run([py, "-m", "pip", "install", "-q", TORCH])
    stamp = VENV / ".embedlab-install"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text().strip() != digest:
        # The torch pin rides along so no dependency can upgrade it.
        run([py, "-m", "pip", "install", "-q", "-e", f".[{EXTRAS}]", TORCH])
        stamp.write_text(digest)
    return py


def fetch(py: Path, names: list[str]) -> None:
    run([py, "-m", "embedlab", "data", "fetch", *names])


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in ("demo", "test", "bench", "setup"):
        print(__doc__)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    command, rest = argv[0], argv[1:]
    py = ensure_env()
    try:
        if command == "setup":
            return 0
        if command == "demo":
            fetch(py, DEMO_DATA)
            run([py, "-m", "embedlab", "demo", *rest])
        elif command == "test":
            fetch(py, TEST_DATA)
            run([py, "-m", "ruff", "check", "embedlab", "tests", "benchmarks", "dev.py"])
            run([py, "-m", "mypy"])
            # Data-dependent tests must run, not skip, once the data above is fetched.
            run([py, "-m", "pytest", "-q", *rest], env={**os.environ, "EMBEDLAB_REQUIRE_DATA": "1"})
        elif command == "bench":
            if not rest:
                sys.exit("usage: python3 dev.py bench NAME [args]  (NAME = a file in benchmarks/ without .py)")
            run([py, f"benchmarks/{rest[0]}.py", *rest[1:]])
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
