"""End-to-end static-vector runs: corpus -> (teacher pass, cached) -> training -> ``StaticEmbeddings``.

``distill_x2static`` and ``train_cbow`` are what the CLI, the demo and the benchmark call. The
teacher pass is cached under ``embedlab_home()/contexts/`` by default (keyed by teacher, variant,
corpus fingerprint and sentence limit), so a second run with other epochs, seeds or min_count, or
a run that was killed, skips the work already done. Training checkpoints go to ``out_dir``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from embedlab.paths import embedlab_home
from embedlab.static.context_cache import CacheData, Variant, build_cache, corpus_fingerprint, open_cache
from embedlab.static.embeddings import StaticEmbeddings
from embedlab.static.x2static import StaticTask, StaticTrainConfig, train_static
from embedlab.teachers.contextual import Teacher
from embedlab.train.loop import LoopResult, barrier, is_main_process
from embedlab.train.run_folder import RunIdentity, claim_folder, fingerprint

logger = logging.getLogger(__name__)


@dataclass
class StaticRun:
    """What a run produced, and how long each part took."""

    vectors: StaticEmbeddings
    task: StaticTask
    cache: CacheData
    loop: LoopResult
    teacher_seconds: float  # the whole teacher pass (summed over resumed pieces)
    train_seconds: float


def default_cache_dir(teacher: str | None, variant: str | None, paths: Sequence[Path], max_sentences: int | None,
                      lines: Sequence[str] | None = None) -> Path:
    """``embedlab_home()/contexts/<teacher>-<variant>-<corpus fingerprint>-<limit>``; a corpus given as
    ``lines`` (no files) is fingerprinted by its text, so two lists never share a cache."""
    label = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(teacher).name if teacher else "tokens")
    digest = corpus_fingerprint(paths) if paths or lines is None else fingerprint(lines).rsplit(" ", 1)[-1]
    key = f"{label}-{variant or 'cbow'}-{digest[:12]}-{max_sentences or 'all'}"
    return embedlab_home() / "contexts" / key


def distill_x2static(
    teacher: Teacher,
    corpus: Iterable[str],
    paths: Sequence[Path],
    *,
    variant: Variant = "sent",
    config: StaticTrainConfig | None = None,
    out_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    max_sentences: int | None = None,
    progress: bool = True,
    overwrite: bool = False,
) -> StaticRun:
    """X2Static: CBOW whose context vector is the teacher's (see ``embedlab.static.cbow``).

    Args:
        teacher: the frozen teacher.
        corpus, paths: the sentences and the files they come from.
        variant: ``sent`` (context = the sentence) or ``para`` (context = a block of sentences).
        config: training hyper-parameters (``method`` is forced to ``x2static``).
        out_dir: checkpoints and ``metrics.jsonl`` (``None``: no resume).
        cache_dir: the teacher-pass cache (default: under ``embedlab_home()/contexts``).
        max_sentences: use only the first N sentences.
        overwrite: replace whatever ``out_dir`` holds (else only the same run resumes there).
    """
    config = replace(config or StaticTrainConfig(), method="x2static")
    corpus = corpus if paths else list(corpus)
    cache_dir = cache_dir or default_cache_dir(teacher.name, variant, paths, max_sentences, None if paths else corpus)  # type: ignore[arg-type]
    _claim(out_dir, config, cache_dir, overwrite)
    cache = _shared_cache(lambda: build_cache(cache_dir, corpus, paths, teacher, variant=variant,
                                              max_sentences=max_sentences, progress=progress), cache_dir)
    return _train(cache, config, out_dir, progress, float(cache.meta.get("teacher_seconds", 0.0)))


def train_cbow(
    corpus: Iterable[str],
    paths: Sequence[Path],
    *,
    config: StaticTrainConfig | None = None,
    out_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    max_sentences: int | None = None,
    progress: bool = True,
    overwrite: bool = False,
) -> StaticRun:
    """Classic CBOW with negative sampling, through the same cache, batching and loop as X2Static."""
    config = replace(config or StaticTrainConfig(method="cbow", epochs=5), method="cbow")
    corpus = corpus if paths else list(corpus)
    cache_dir = cache_dir or default_cache_dir(None, None, paths, max_sentences, None if paths else corpus)  # type: ignore[arg-type]
    _claim(out_dir, config, cache_dir, overwrite)
    cache = _shared_cache(lambda: build_cache(cache_dir, corpus, paths, None, max_sentences=max_sentences,
                                              progress=progress), cache_dir)
    return _train(cache, config, out_dir, progress, 0.0)


def _claim(out_dir: str | Path | None, config: StaticTrainConfig, cache_dir: str | Path, overwrite: bool) -> None:
    """The run's folder (``embedlab.train.run_folder``): its data is the teacher pass's cache key
    (teacher, variant, corpus fingerprint, sentence limit), known before the teacher runs."""
    if out_dir is not None:
        claim_folder(out_dir, RunIdentity(config.method, asdict(config), Path(cache_dir).name), overwrite=overwrite)


def _shared_cache(build: Callable[[], CacheData], folder: str | Path) -> CacheData:
    """Under torchrun rank 0 builds the cache while the other ranks wait, then all read it."""
    cache = build() if is_main_process() else None
    barrier()
    return cache if cache is not None else open_cache(folder)


def _train(cache: CacheData, config: StaticTrainConfig, out_dir: str | Path | None, progress: bool,
           teacher_seconds: float) -> StaticRun:
    started = time.perf_counter()
    task, loop = train_static(cache, config, out_dir, progress=progress)
    seconds = time.perf_counter() - started
    logger.info("%s: %d steps in %.1fs (teacher pass %.1fs)", config.method, loop.steps, seconds, teacher_seconds)
    return StaticRun(task.result(), task, cache, loop, teacher_seconds, seconds)
