"""Train static vectors from a cache: X2Static (teacher contexts) or classic CBOW (window contexts).

Both read the same cache (``embedlab.static.context_cache``) through the same batching,
subsampling, negative sampling, model (``embedlab.static.cbow.CBOW``) and training loop; only the
context vector differs. Defaults are the papers': X2Static uses negatives from count^0.5, 10 of
them, subsampling t = 5e-6, SparseAdam lr 1e-3, min_count 10; CBOW uses word2vec's count^0.75,
t = 1e-3 and a window of 5 shrunk at random per target.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch import nn

from embedlab.errors import DataError
from embedlab.static.cbow import CBOW, CBOWConfig
from embedlab.static.context_cache import CacheData
from embedlab.static.embeddings import StaticEmbeddings
from embedlab.static.negative_sampling import NegativeSampler, keep_probabilities
from embedlab.train.loop import LoopConfig, LoopResult, train
from embedlab.train.settings_check import check_settings

logger = logging.getLogger(__name__)

Method = Literal["x2static", "cbow"]


@dataclass
class StaticTrainConfig:
    """Hyper-parameters of X2Static / CBOW training (``None`` = the method's paper default)."""

    method: Method = "x2static"
    dim: int | None = None  # CBOW only; X2Static's vectors have the teacher's size
    min_count: int = 10
    epochs: int = 1
    batch_size: int = 1024
    lr: float = 1e-3
    negatives: int = 10
    neg_power: float | None = None  # 0.5 X2Static, 0.75 CBOW
    sample: float | None = None  # 5e-6 X2Static, 1e-3 CBOW
    window: int = 5  # CBOW only
    seed: int = 0
    max_steps: int | None = None
    chunk_sentences: int = 20_000

    def __post_init__(self) -> None:
        check_settings(self)

    def resolved(self) -> StaticTrainConfig:
        x2 = self.method == "x2static"
        return StaticTrainConfig(**{**asdict(self),
                                    "neg_power": self.neg_power if self.neg_power is not None else (0.5 if x2 else 0.75),
                                    "sample": self.sample if self.sample is not None else (5e-6 if x2 else 1e-3),
                                    "dim": self.dim if self.dim is not None else (None if x2 else 300)})


class StaticTask:
    """X2Static / CBOW as a ``TrainingTask`` for the generic loop."""

    def __init__(self, cache: CacheData, config: StaticTrainConfig, init_vectors: np.ndarray | None = None) -> None:
        self.cache = cache
        self.config = config = config.resolved()
        keep = cache.counts >= config.min_count
        if not keep.any():
            raise DataError(f"no word occurs {config.min_count} times; lower --min-count")
        # full cache vocabulary id -> training id (-1: below min_count); the cache is sorted by count
        self.remap = np.where(keep, np.cumsum(keep) - 1, -1).astype(np.int64)
        self.words = [w for w, k in zip(cache.words, keep, strict=True) if k]
        self.counts = cache.counts[keep]
        teacher = config.method == "x2static"
        if teacher and not cache.has_contexts:
            raise DataError("X2Static needs a cache built with a teacher")
        dim = int(cache.meta["dim"]) if teacher else int(config.dim or 300)
        self.model: nn.Module = CBOW(CBOWConfig(len(self.words), dim, "teacher" if teacher else "window", config.negatives))
        if init_vectors is not None:
            if init_vectors.shape != (len(self.words), dim):
                raise DataError(f"init vectors have shape {init_vectors.shape}, need {(len(self.words), dim)}")
            with torch.no_grad():
                self.model.target.weight.copy_(torch.from_numpy(init_vectors))
        assert config.sample is not None and config.neg_power is not None  # resolved() fills both; 0 is a value
        self.keep_prob = keep_probabilities(self.counts, config.sample)
        self.sampler = NegativeSampler(self.counts, config.neg_power)

    def steps_per_epoch(self, world: int = 1) -> int:
        expected = float((self.counts * self.keep_prob).sum())
        return max(1, int(expected // self.config.batch_size) // world)

    def optimizers(self, model: nn.Module) -> list[torch.optim.Optimizer]:
        return [torch.optim.SparseAdam(list(model.parameters()), lr=self.config.lr)]

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        context, targets = batch
        negatives = self.sampler((len(targets), self.config.negatives))
        return model(context, targets, negatives)

    def batches(self, epoch: int, rank: int, world: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Chunks of sentences -> subsampled (context, target) pairs, shuffled within the chunk."""
        cfg = self.config
        ends = self.cache.sentence_ends()
        n = len(ends)
        index = 0
        for c, start in enumerate(range(0, n, cfg.chunk_sentences)):
            stop = min(n, start + cfg.chunk_sentences)
            rng = np.random.default_rng([cfg.seed, epoch, c])
            tok_lo = int(ends[start - 1]) if start else 0
            tok_hi = int(ends[stop - 1])
            tokens = self.remap[np.asarray(self.cache.tokens()[tok_lo:tok_hi])]
            sent = np.repeat(np.arange(start, stop), np.diff(np.concatenate([[tok_lo], ends[start:stop]])))
            known = tokens >= 0
            tokens, sent = tokens[known], sent[known]
            kept = rng.random(len(tokens)) < self.keep_prob[tokens]
            if cfg.method == "x2static":
                targets = tokens[kept]
                ctx_rows = np.asarray(self.cache.sentence_contexts()[start:stop])[sent[kept] - start]
                lo = int(ctx_rows.min()) if len(ctx_rows) else 0
                hi = int(ctx_rows.max()) + 1 if len(ctx_rows) else 0
                table = np.asarray(self.cache.contexts()[lo:hi], dtype=np.float32)
                order = rng.permutation(len(targets))
                for b in range(0, len(order), cfg.batch_size):
                    if index % world == rank:
                        rows = order[b:b + cfg.batch_size]
                        yield (torch.from_numpy(table[ctx_rows[rows] - lo]),
                               torch.from_numpy(targets[rows]))
                    index += 1
            else:
                # gensim also drops subsampled words before building windows
                tokens, sent = tokens[kept], sent[kept]
                windows = _windows(tokens, sent, cfg.window, rng)
                order = rng.permutation(len(tokens))
                for b in range(0, len(order), cfg.batch_size):
                    if index % world == rank:
                        rows = order[b:b + cfg.batch_size]
                        yield torch.from_numpy(windows[rows]), torch.from_numpy(tokens[rows])
                    index += 1

    def result(self, which: Literal["result", "input", "output"] = "result") -> StaticEmbeddings:
        assert isinstance(self.model, CBOW)
        vectors = self.model.word_vectors(which).cpu().numpy()
        return StaticEmbeddings(self.words, vectors, self.counts, source=f"{self.config.method} ({which})")


def _windows(tokens: np.ndarray, sent: np.ndarray, window: int, rng: np.random.Generator) -> np.ndarray:
    """(N, 2*window) context ids around each token within its sentence, -1 where there is none.

    As in word2vec, each target's window is shrunk to a random size in 1..window.
    """
    n = len(tokens)
    span = window - rng.integers(0, window, size=n)  # effective half-width per target
    out = np.full((n, 2 * window), -1, dtype=np.int64)
    for col, off in enumerate([*range(-window, 0), *range(1, window + 1)]):
        j = np.arange(n) + off
        ok = (j >= 0) & (j < n)
        jj = np.clip(j, 0, max(n - 1, 0))
        ok &= sent[jj] == sent
        ok &= abs(off) <= span
        out[:, col] = np.where(ok, tokens[jj], -1)
    return out


def train_static(cache: CacheData, config: StaticTrainConfig, out_dir: str | Path | None = None, *,
                 progress: bool = True, checkpoint_every: int = 2000,
                 init_vectors: np.ndarray | None = None) -> tuple[StaticTask, LoopResult]:
    """Train X2Static or CBOW on a cache; resumes from ``out_dir/checkpoint`` if present.

    Returns:
        the task (``task.result()`` gives the vectors) and the loop's result.
    """
    task = StaticTask(cache, config, init_vectors)
    loop = LoopConfig(epochs=config.epochs, max_steps=config.max_steps, checkpoint_every=checkpoint_every,
                      log_every=100, progress=progress)
    if config.seed is not None:
        torch.manual_seed(config.seed)
    result = train(task, loop, out_dir, steps_per_epoch=task.steps_per_epoch())
    return task, result
