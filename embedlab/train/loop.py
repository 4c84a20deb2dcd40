"""One training loop for every embedlab model: steps, progress, checkpoints, resume, DDP.

A model family plugs in a ``TrainingTask`` (its model, optimizers, a deterministic batch stream and
a loss); the loop does the rest. Under ``torchrun`` (``WORLD_SIZE`` > 1) the same code runs with
PyTorch DistributedDataParallel (gloo on CPU, NCCL on GPU): each rank takes every WORLD_SIZE-th
batch and only rank 0 writes checkpoints and logs.

Resume: the loop position (epoch, step within it, global step) and the RNG state are saved with
the weights; batch streams are deterministic given (seed, epoch), so a resumed run skips the
batches it has already seen and goes on as if it had never stopped.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn
from tqdm.auto import tqdm

from embedlab.errors import EmbedlabError
from embedlab.train.checkpoint import load_checkpoint, save_checkpoint

logger = logging.getLogger(__name__)


class TrainingTask(Protocol):
    """What a model family gives the loop."""

    model: nn.Module

    def optimizers(self, model: nn.Module) -> list[torch.optim.Optimizer]:
        """Optimizers over ``model``'s parameters (built once, after DDP wrapping if any)."""
        ...

    def batches(self, epoch: int, rank: int, world: int) -> Iterator[Any]:
        """This rank's batches of ``epoch``: the same sequence every time for the same epoch."""
        ...

    def loss(self, model: nn.Module, batch: Any) -> torch.Tensor:
        """Scalar loss of one batch (``model`` may be the DDP wrapper: call it, not its methods)."""
        ...


@dataclass
class LoopConfig:
    """How long and how visibly to train.

    Attributes:
        epochs: passes over the batch stream.
        max_steps: stop after this many optimizer steps in total (quick runs).
        checkpoint_every: save every N steps (and at the end of each epoch); 0 = epoch ends only.
        log_every: write a line to ``metrics.jsonl`` every N steps.
        grad_clip: clip the gradient norm to this (0 = off; sparse gradients are never clipped).
        progress: show a progress bar.
    """

    epochs: int = 1
    max_steps: int | None = None
    checkpoint_every: int = 1000
    log_every: int = 100
    grad_clip: float = 0.0
    progress: bool = True


@dataclass
class LoopResult:
    steps: int
    seconds: float
    last_loss: float
    losses: list[float] = field(default_factory=list)
    resumed_from: int = 0


def distributed() -> tuple[int, int]:
    """(rank, world size), starting the process group when launched by ``torchrun``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world


def _joined(batches: Iterator[Any], context: Any) -> Iterator[Any]:
    with context:
        yield from batches


def is_main_process() -> bool:
    """True unless this is a non-zero rank of a ``torchrun`` job (only rank 0 writes files)."""
    return distributed()[0] == 0


def barrier() -> None:
    """Wait for every rank (a no-op in a single process)."""
    if distributed()[1] > 1:
        import torch.distributed as dist

        dist.barrier()


def train(task: TrainingTask, config: LoopConfig, out_dir: str | Path | None = None, *,
          steps_per_epoch: int | None = None,
          on_epoch_end: Callable[[int], None] | None = None) -> LoopResult:
    """Run ``task`` to the end, resuming from ``out_dir/checkpoint`` when one is there.

    Args:
        task: model, optimizers, batches and loss.
        config: epochs, steps, checkpointing.
        out_dir: where ``checkpoint/`` and ``metrics.jsonl`` go (``None``: no checkpoints).
        steps_per_epoch: for the progress bar's ETA, when known.
        on_epoch_end: called with the epoch number after each epoch (e.g. to evaluate).

    Raises:
        EmbedlabError: the loss became NaN or infinite (the message names the step).
    """
    rank, world = distributed()
    model: nn.Module = task.model
    if world > 1:
        model = nn.parallel.DistributedDataParallel(model)
    optimizers = task.optimizers(model)
    ckpt = Path(out_dir) / "checkpoint" if out_dir is not None else None
    position = {"epoch": 0, "step_in_epoch": 0, "global_step": 0}
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    if ckpt is not None and (ckpt / "state.json").is_file():
        position, rng = load_checkpoint(ckpt, task.model, optimizers)
        if "torch" in rng:
            torch.set_rng_state(rng["torch"])
        logger.info("resumed from %s at epoch %d step %d", ckpt, position["epoch"], position["global_step"])
    resumed_from = int(position["global_step"])
    metrics = open(Path(out_dir) / "metrics.jsonl", "a", encoding="utf-8") if out_dir and rank == 0 else None  # noqa: SIM115
    total = config.epochs * steps_per_epoch if steps_per_epoch else None
    if config.max_steps is not None:
        total = min(total, config.max_steps) if total else config.max_steps
    started = time.perf_counter()
    losses: list[float] = []
    last = math.nan

    def checkpoint() -> None:
        if ckpt is not None and rank == 0:
            save_checkpoint(ckpt, task.model, optimizers, position, {"torch": torch.get_rng_state()})

    bar = tqdm(total=total, initial=resumed_from, desc="training", unit=" step",
               disable=not config.progress or rank != 0, smoothing=0.05)
    try:
        while position["epoch"] < config.epochs:
            epoch = int(position["epoch"])
            skip = int(position["step_in_epoch"])
            # Ranks may get different numbers of batches: DDP's join() lets a rank that ran out
            # shadow the others' gradient all-reduces instead of hanging them.
            uneven = model.join() if isinstance(model, nn.parallel.DistributedDataParallel) else contextlib.nullcontext()
            for i, batch in _joined(enumerate(task.batches(epoch, rank, world)), uneven):
                if i < skip:
                    continue
                if config.max_steps is not None and position["global_step"] >= config.max_steps:
                    break
                model.train()
                loss = task.loss(model, batch)
                if not torch.isfinite(loss):
                    raise EmbedlabError(f"the loss is {loss.item()} at step {position['global_step']}; "
                                        "lower the learning rate or check the input for NaNs")
                for opt in optimizers:
                    opt.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip > 0:
                    dense = [p for p in model.parameters() if p.grad is not None and not p.grad.is_sparse]
                    torch.nn.utils.clip_grad_norm_(dense, config.grad_clip)
                for opt in optimizers:
                    opt.step()
                last = float(loss.detach())
                losses.append(last)
                position["step_in_epoch"] += 1
                position["global_step"] += 1
                step = int(position["global_step"])
                bar.update(1)
                if step % config.log_every == 0:
                    recent = sum(losses[-config.log_every:]) / len(losses[-config.log_every:])
                    bar.set_postfix(loss=f"{recent:.4f}")
                    if metrics is not None:
                        metrics.write(json.dumps({"step": step, "epoch": epoch, "loss": recent,
                                                  "seconds": time.perf_counter() - started}) + "\n")
                        metrics.flush()
                if config.checkpoint_every and step % config.checkpoint_every == 0:
                    checkpoint()
            else:
                position["epoch"] += 1
                position["step_in_epoch"] = 0
                checkpoint()
                if on_epoch_end is not None and rank == 0:
                    on_epoch_end(epoch)
                continue
            break  # max_steps reached
        checkpoint()
    finally:
        bar.close()
        if metrics is not None:
            metrics.close()
    return LoopResult(steps=int(position["global_step"]), seconds=time.perf_counter() - started,
                      last_loss=last, losses=losses, resumed_from=resumed_from)
