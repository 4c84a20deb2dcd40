"""How a reliability case runs embedlab and classifies what happened.

Outcome classes (``OUTCOMES``), the first three good, the rest bad:

- ``error``: a clear error: non-zero exit (or an ``EmbedlabError``/``ValueError`` from the Python
  API) with a message, and no traceback;
- ``warn``: the right result plus a warning that counts what was skipped or fixed;
- ``ok``: the right result, no message needed;
- ``lost``: a user's existing model or folder was destroyed, replaced, or silently kept when the user
  asked for something else;
- ``wrong``: exit 0 / no exception, but the result is wrong (wrong size, untrained model, a limit
  ignored, data silently dropped, an invalid value silently accepted);
- ``traceback``: an uncaught exception (any other type from the API) or ``Traceback`` on stderr;
- ``hang``: did not finish within its bound.

The CLI runs in-process through ``embedlab.cli.main.main(argv)`` with stdout/stderr captured; runs
that may allocate absurd memory or wait on the network run in a subprocess with a memory limit and
a timeout.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUTCOMES = ("error", "warn", "ok", "lost", "wrong", "traceback", "hang")
GOOD = ("error", "warn", "ok")
GROUPS = ("corpora", "word-vectors", "model-folders", "run-folders", "arguments", "evaluation-files")

IN_PROCESS_BOUND_S = 90.0   # an in-process case that runs longer than this is a hang
NAME_LOOKUP_BOUND_S = 20.0  # a mistyped model name must fail within this
MEMORY_LIMIT = 4 << 30      # address-space limit of subprocess cases that may allocate absurd sizes


@dataclass
class Observation:
    """What one case did: its outcome class and why."""

    outcome: str
    detail: str = ""
    rc: int | None = None
    out: str = ""
    err: str = ""
    seconds: float = 0.0

    def __post_init__(self) -> None:
        assert self.outcome in OUTCOMES, self.outcome

    @property
    def message(self) -> str:
        """The first line that says what went wrong (an ``error:`` line first), else the detail."""
        lines = warning_lines(self.err)
        for line in lines:
            if "error" in line.lower() and not line.startswith("usage:"):
                return line[:240]
        if self.outcome == "traceback" and lines:
            return lines[-1][:240]
        return (lines[0] if lines else self.detail)[:240]


@dataclass
class Run:
    """A finished command or call: exit status, captured text, a crash or a timeout."""

    rc: int | None
    out: str = ""
    err: str = ""
    crash: str | None = None   # traceback text of an exception nobody turned into a message
    timed_out: bool = False
    value: Any = None          # what an API call returned
    seconds: float = 0.0


class SetupFailed(Exception):
    """A preparatory step of a case (a plain valid command) did not succeed."""

    def __init__(self, what: str, run: Run) -> None:
        super().__init__(f"{what}: rc={run.rc} {first_line(run.crash or run.err)}")
        self.run = run


class _Timeout(BaseException):
    pass


# --- the session: a temp root, an EMBEDLAB_HOME of its own, shared tiny artifacts ---------------------
@dataclass
class Session:
    root: Path
    home: Path
    cache: dict[str, Path] = field(default_factory=dict)


_SESSION: Session | None = None


def session() -> Session:
    """One temp root per process; ``$EMBEDLAB_HOME`` points at its ``home`` during a case, with the
    user's fetched datasets linked in (read-only use), so caches written by cases stay in the temp root."""
    global _SESSION
    if _SESSION is None:
        from embedlab.paths import embedlab_home

        real = embedlab_home()
        root = Path(tempfile.mkdtemp(prefix="embedlab-reliability-"))
        home = root / "home"
        home.mkdir()
        for name in ("datasets", "downloads"):
            if (real / name).exists():
                (home / name).symlink_to(real / name)
        import atexit

        if not os.environ.get("RELIABILITY_KEEP"):
            atexit.register(shutil.rmtree, root, True)
        _SESSION = Session(root, home)
    return _SESSION


def shared(name: str, build: Callable[[Path], None]) -> Path:
    """A session-wide artifact built once by ``build(folder)``; callers copy it before changing it."""
    s = session()
    if name not in s.cache:
        folder = s.root / "shared" / name
        folder.parent.mkdir(parents=True, exist_ok=True)
        build(folder)
        s.cache[name] = folder
    return s.cache[name]


def copy_of(src: Path, dst: Path) -> Path:
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copy2(src, dst)
    return dst


def fresh_home(folder: Path) -> Path:
    """An EMBEDLAB_HOME of one case: the user's fetched datasets linked in (read only), nothing cached,
    so no case reuses another's context cache (and skips the reading that warns)."""
    real = session().home
    folder.mkdir(parents=True, exist_ok=True)
    for item in real.iterdir():
        (folder / item.name).symlink_to(item.resolve())
    return folder


@contextlib.contextmanager
def case_environment(home: Path | None = None) -> Iterator[None]:
    """EMBEDLAB_HOME -> ``home`` (default: the session home), progress bars off; restored afterwards."""
    s = session()
    # HF_HUB_OFFLINE too: loading a local transformers folder sets it for the rest of the process
    saved = {k: os.environ.get(k) for k in ("EMBEDLAB_HOME", "TQDM_DISABLE", "HF_HUB_OFFLINE")}
    os.environ["EMBEDLAB_HOME"] = str(home or s.home)
    os.environ["TQDM_DISABLE"] = "1"
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _bounded(seconds: float) -> Iterator[None]:
    """Raise ``_Timeout`` in the main thread after ``seconds`` (no bound elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Timeout()

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


# --- running things ---------------------------------------------------------------------------------
def cli(argv: Sequence[str], *, bound: float = IN_PROCESS_BOUND_S) -> Run:
    """``embedlab ARGV`` in-process; an exception escaping ``main`` is a crash."""
    from embedlab.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    rc: int | None = None
    crash = None
    timed_out = False
    started = time.perf_counter()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _bounded(bound):
            try:
                rc = int(main([str(a) for a in argv]) or 0)
            except SystemExit as exc:
                code = exc.code
                rc = code if isinstance(code, int) else (0 if code is None else 1)
                if isinstance(code, str):
                    print(code, file=sys.stderr)
    except _Timeout:
        timed_out = True
    except Exception:  # noqa: BLE001 - that is what we observe
        crash = traceback.format_exc()
    finally:
        for h in list(root.handlers):
            if h not in saved_handlers:
                root.removeHandler(h)
        for h in saved_handlers:
            if h not in root.handlers:
                root.addHandler(h)
        root.setLevel(saved_level)
    text = err.getvalue()
    if crash is None and "Traceback (most recent call last)" in text:
        crash = text
    return Run(rc, out.getvalue(), text, crash, timed_out, seconds=time.perf_counter() - started)


def api(fn: Callable[[], Any], *, bound: float = IN_PROCESS_BOUND_S) -> Run:
    """A Python API call: ``EmbedlabError``/``ValueError`` is a clear error (rc 2, message in ``err``),
    any other exception a crash; warnings (logging WARNING+, and Python warnings raised from
    embedlab's files) are collected into ``err``."""
    from embedlab.errors import EmbedlabError

    records = _Records()
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(records)
    root.setLevel(min(saved_level or logging.WARNING, logging.WARNING))
    out, err = io.StringIO(), io.StringIO()
    run = Run(None)
    started = time.perf_counter()
    package = str(Path(__import__("embedlab").__file__).parent)
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err), _bounded(bound):
            warnings.simplefilter("always")
            try:
                run.value = fn()
                run.rc = 0
            except (EmbedlabError, ValueError) as exc:
                run.rc = 2
                records.lines.insert(0, f"error: {type(exc).__name__}: {exc}")
        for w in caught:
            if str(w.filename).startswith(package):
                records.lines.append(f"WARNING {w.category.__name__}: {w.message}")
    except _Timeout:
        run.timed_out = True
    except Exception:  # noqa: BLE001
        run.crash = traceback.format_exc()
    finally:
        root.removeHandler(records)
        root.setLevel(saved_level)
    run.out = out.getvalue()
    run.err = "\n".join(records.lines) + ("\n" + err.getvalue() if err.getvalue().strip() else "")
    run.seconds = time.perf_counter() - started
    return run


_API_RUNNER = """
import sys
from embedlab.errors import EmbedlabError
try:
    exec(sys.argv[1])
except (EmbedlabError, ValueError) as exc:
    print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
    sys.exit(2)
"""


def subprocess_env(drop_env: Sequence[str] = ()) -> dict[str, str]:
    """The environment of a subprocess that imports the embedlab under test: one thread, no bars."""
    import embedlab

    repo = str(Path(embedlab.__file__).resolve().parents[1])
    env = {k: v for k, v in os.environ.items() if k not in drop_env}
    env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["OMP_NUM_THREADS"] = env.get("OMP_NUM_THREADS", "1")
    env["TQDM_DISABLE"] = "1"
    return env


def subprocess_run(argv: Sequence[str] | None = None, *, code: str | None = None, cwd: Path,
                   timeout: float = 120.0, memory_limit: int | None = None,
                   drop_env: Sequence[str] = ()) -> Run:
    """``python -m embedlab ARGV`` (or the API ``code``) in a subprocess that imports the embedlab under
    test; killed after ``timeout`` s (a hang), with an optional address-space limit."""
    env = subprocess_env(drop_env)
    cmd = [sys.executable, "-m", "embedlab", *map(str, argv)] if code is None else \
        [sys.executable, "-c", _API_RUNNER, code]

    def limit() -> None:
        if memory_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=limit, check=False)
    except subprocess.TimeoutExpired as exc:
        def text(x: Any) -> str:
            return x.decode(errors="replace") if isinstance(x, bytes) else (x or "")

        return Run(None, text(exc.stdout), text(exc.stderr), timed_out=True, seconds=time.perf_counter() - started)
    err = proc.stderr
    crash = err if "Traceback (most recent call last)" in err else None
    return Run(proc.returncode, proc.stdout, err, crash, seconds=time.perf_counter() - started)


# --- judging ----------------------------------------------------------------------------------------
Verdict = tuple[str, str]          # (outcome, detail)
Check = Callable[[Run], Verdict]


def first_line(text: str | None) -> str:
    lines = [x for x in (text or "").splitlines() if x.strip()]
    return lines[-1].strip()[:200] if text and "Traceback" in text else (lines[0].strip()[:200] if lines else "")


def judge(run: Run, on_success: Check | None = None, *, on_refusal: Callable[[], str | None] | None = None,
          what: str = "") -> Observation:
    """The outcome of ``run``: hang, traceback, error (non-zero with a message; ``lost`` when
    ``on_refusal`` finds the user's data damaged anyway), else what ``on_success`` says."""
    def obs(outcome: str, detail: str) -> Observation:
        return Observation(outcome, detail, run.rc, run.out, run.err, run.seconds)

    if run.timed_out:
        return obs("hang", f"{what}no answer within the bound ({run.seconds:.0f} s)")
    if run.crash:
        return obs("traceback", first_line(run.crash))
    if run.rc != 0:
        if not run.err.strip():
            return obs("wrong", f"exit {run.rc} without any message")
        damage = on_refusal() if on_refusal else None
        if damage:
            return obs("lost", f"refused, but {damage}")
        return obs("error", first_line(run.err))
    outcome, detail = on_success(run) if on_success else ("ok", "")
    return obs(outcome, detail)


def must(run: Run, what: str) -> Run:
    """A setup step: it has to succeed."""
    if run.rc != 0 or run.crash or run.timed_out:
        raise SetupFailed(what, run)
    return run


def warning_lines(text: str) -> list[str]:
    """Lines of stderr that read as a warning of ours (Python-warning lines of other libraries and
    progress bars left out)."""
    keep = []
    for line in text.splitlines():
        s = line.strip()
        if not s or re.search(r"\.py:\d+: \w*Warning", s) or s.startswith("warnings.warn") \
                or re.search(r"\d+%\||it/s\]|s/it\]", s):
            continue
        keep.append(s)
    return keep


def counted_warning(text: str, *words: str) -> str | None:
    """A warning line that holds a number (and one of ``words``, when given), else None."""
    for line in warning_lines(text):
        low = line.lower()
        if re.search(r"\d", line) and (not words or any(w in low for w in words)):
            return line
    return None


def accepted(describe: Callable[[], str] | str) -> Check:
    """For a case whose input should be refused: success is ``wrong``, described."""
    def check(run: Run) -> Verdict:
        try:
            what = describe() if callable(describe) else describe
        except Exception as exc:  # noqa: BLE001
            what = f"(could not inspect the result: {type(exc).__name__}: {exc})"
        return "wrong", f"exit 0: {what}"
    return check


def try_load(path: Path) -> tuple[Any, str]:
    """``embedlab.load(path)`` or (None, why not)."""
    import embedlab

    try:
        return embedlab.load(path), ""
    except Exception as exc:  # noqa: BLE001
        return None, f"{type(exc).__name__}: {str(exc)[:160]}"


def describe_vectors(path: Path) -> str:
    obj, why = try_load(path)
    if obj is None:
        return f"{path.name} cannot be loaded ({why})"
    if hasattr(obj, "dim") and hasattr(obj, "index_to_key"):
        return f"wrote {len(obj)} words x {obj.dim} dims"
    return f"wrote a {type(obj).__name__}"
