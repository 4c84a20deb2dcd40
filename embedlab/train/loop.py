"""One training loop for every embedlab model: steps, progress, checkpoints, resume, DDP.

A model family plugs in a ``TrainingTask`` (its model, optimizers, a deterministic batch stream and
a loss); the loop does the rest. Under ``torchrun`` (``WORLD_SIZE`` > 1) the same code runs with
PyTorch DistributedDataParallel (gloo on CPU, NCCL on GPU): each rank takes every WORLD_SIZE-th
batch and only rank 0 writes checkpoints and logs.

Resume: the loop position (epoch, step within it, global step, best validation score, learning
rates) and the RNG state are saved with the weights; batch streams are deterministic given (seed,
epoch), so a resumed run skips the batches it has already seen and goes on as if it had never stopped.

Validation: given ``evaluate``, the loop scores the model every ``eval_every`` steps and at each
epoch end, calls ``on_best`` when the score improves (the caller saves its best model there) and,
with ``anneal`` < 1, multiplies every learning rate by ``anneal`` when it does not (the
plateau schedule of pytorch/examples ``word_language_model``: SGD lr / 4).

The best model is never replaced by a worse one: its score goes to ``best-score.json`` before
``on_best`` saves it, and a run (resumed, or restarted after a kill before its first checkpoint)
calls ``on_best`` only for a score at least as good as the one recorded there.
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
from typing import Any, Literal, Protocol

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
        max_minutes: stop once training has taken this long in total (over resumes; a time budget).
        checkpoint_every: save every N steps (and at the end of each epoch); 0 = epoch ends only.
        log_every: write a line to ``metrics.jsonl`` every N steps.
        grad_clip: clip the gradient norm to this (0 = off; sparse gradients are never clipped).
        progress: show a progress bar.
        eval_every: validate every N steps as well as at epoch ends (0 = epoch ends only).
        eval_mode: ``"min"`` (a loss, a perplexity) or ``"max"`` (an accuracy, a correlation).
        anneal: multiply the learning rates by this when a validation does not improve (1 = never).
        min_lr: never anneal below this learning rate.
        lr_decay: multiply the learning rates by this after every step (a slow exponential decay).
        warmup_steps: scale the learning rates by (step + 1) / warmup_steps over the first steps.
        perplexity: also show exp(loss) (for language models, whose loss is the mean NLL).

    A task may also define ``log_stats() -> dict[str, float]`` (running figures such as a match rate,
    read and reset at every log line): they join the log line and the progress bar.
    """

    epochs: int = 1
    max_steps: int | None = None
    max_minutes: float | None = None
    checkpoint_every: int = 1000
    log_every: int = 100
    grad_clip: float = 0.0
    progress: bool = True
    eval_every: int = 0
    eval_mode: Literal["min", "max"] = "min"
    anneal: float = 1.0
    min_lr: float = 0.0
    lr_decay: float = 1.0
    warmup_steps: int = 0
    perplexity: bool = False


@dataclass
class LoopResult:
    """``seconds``: this call; ``total_seconds``: with the runs before a resume (up to their last checkpoint)."""

    steps: int
    seconds: float
    total_seconds: float
    last_loss: float
    losses: list[float] = field(default_factory=list)
    resumed_from: int = 0
    best: float | None = None
    evaluations: list[dict[str, float]] = field(default_factory=list)


def distributed() -> tuple[int, int]:
    """(rank, world size), starting the process group when launched by ``torchrun``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world


def gather_rows(x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """x (B, ...) of every rank stacked (world * B, ...) in rank order, and where this rank's rows start.

    The gradient flows back to each rank's own rows (``torch.distributed.nn``'s all_gather), so a loss
    over the stacked rows trains every rank's encoder. Every rank must call it with the same B.
    Without torchrun: (x, 0).
    """
    import torch.distributed as dist

    if not dist.is_available() or not dist.is_initialized() or dist.get_world_size() == 1:
        return x, 0
    from torch.distributed.nn.functional import all_gather

    return torch.cat(all_gather(x)), dist.get_rank() * x.size(0)


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


def _units(task: TrainingTask, batch: Any) -> int:
    """How many tokens/examples ``batch`` holds, if the task says (``task.units(batch)``)."""
    units = getattr(task, "units", None)
    return int(units(batch)) if callable(units) else 0


def _shared_score(score: float | None, world: int) -> float:
    """Rank 0's validation score, on every rank (so every rank anneals alike)."""
    if world > 1:
        import torch.distributed as dist

        box = [score]
        dist.broadcast_object_list(box, src=0)
        score = box[0]
    assert score is not None
    return float(score)


BEST_NAME = "best-score.json"


def write_best_score(out_dir: str | Path, score: float, step: int, mode: str) -> None:
    """Record the score of the best model *before* it is saved: after a kill between the two, the
    saved model is no better than the recorded score, so a resumed run only replaces it with a better one."""
    path = Path(out_dir) / BEST_NAME
    tmp = path.with_name(f".{BEST_NAME}.tmp")
    tmp.write_text(json.dumps({"score": score, "step": step, "mode": mode}) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_best_score(out_dir: str | Path, mode: str) -> float | None:
    path = Path(out_dir) / BEST_NAME
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        return float(saved["score"]) if saved.get("mode") == mode else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _beats(a: float | None, b: float | None, mode: str) -> bool:
    """``a`` is a score strictly better than ``b`` (any score beats none)."""
    if a is None:
        return False
    return b is None or (a < b if mode == "min" else a > b)


def _apply_new_lrs(optimizers: list[torch.optim.Optimizer], saved: Any, new: list[list[float]]) -> None:
    """A resumed run given another learning rate: scale the restored rates (decay and annealing kept)."""
    if not isinstance(saved, list) or len(saved) != len(new):
        return
    for opt, old_lrs, new_lrs in zip(optimizers, saved, new, strict=True):
        for group, old_lr, new_lr in zip(opt.param_groups, old_lrs, new_lrs, strict=False):
            if old_lr and new_lr != old_lr:
                group["lr"] *= new_lr / old_lr
                logger.warning("learning rate %g -> %g on resume (now %g after the schedule so far)",
                               old_lr, new_lr, group["lr"])


def _scale_lr(opt: torch.optim.Optimizer, factor: float) -> None:
    if factor != 1.0:
        for group in opt.param_groups:
            group["lr"] *= factor


def train(task: TrainingTask, config: LoopConfig, out_dir: str | Path | None = None, *,
          steps_per_epoch: int | None = None,
          on_epoch_end: Callable[[int], None] | None = None,
          evaluate: Callable[[nn.Module], float | tuple[float, dict[str, float]]] | None = None,
          on_best: Callable[[float], None] | None = None) -> LoopResult:
    """Run ``task`` to the end, resuming from ``out_dir/checkpoint`` when one is there.

    Args:
        task: model, optimizers, batches and loss. A task with ``units(batch) -> int`` (tokens in
            the batch) gets a units/s figure in the progress bar and the metrics.
        config: epochs, steps, checkpointing, validation schedule.
        out_dir: where ``checkpoint/`` and ``metrics.jsonl`` go (``None``: no checkpoints).
        steps_per_epoch: for the progress bar's ETA, when known.
        on_epoch_end: called with the epoch number after each epoch.
        evaluate: validation score of the (unwrapped) model, or (score, other figures to record with
            it); run on rank 0 in eval mode, no grad.
        on_best: called on rank 0 with the score whenever it improves (save the model there).

    Raises:
        EmbedlabError: the loss became NaN or infinite (the message names the step).
    """
    rank, world = distributed()
    model: nn.Module = task.model
    if world > 1:
        model = nn.parallel.DistributedDataParallel(model)
    optimizers = task.optimizers(model)
    base_lrs = [[group["lr"] for group in opt.param_groups] for opt in optimizers]
    ckpt = Path(out_dir) / "checkpoint" if out_dir is not None else None
    position: dict[str, Any] = {"epoch": 0, "step_in_epoch": 0, "global_step": 0, "best": None, "evaluations": [],
                                "base_lrs": base_lrs}
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    if ckpt is not None and (ckpt / "state.json").is_file():
        position, rng = load_checkpoint(ckpt, task.model, optimizers)
        if "torch" in rng:
            torch.set_rng_state(rng["torch"])
        logger.info("resumed from %s at epoch %d step %d", ckpt, position["epoch"], position["global_step"])
        _apply_new_lrs(optimizers, position.get("base_lrs"), base_lrs)
        position["base_lrs"] = base_lrs
    resumed_from = int(position["global_step"])
    position.setdefault("best", None)
    # The best model on disk may be newer than the checkpoint (a kill between the two): a resumed run
    # replaces it only with one at least as good (as good: the same model, trained again).
    saved_best = read_best_score(out_dir, config.eval_mode) if out_dir is not None else None
    position.setdefault("evaluations", [])
    position.setdefault("seconds", 0.0)
    prior_seconds = float(position["seconds"])  # training time of the runs before a resume
    metrics = open(Path(out_dir) / "metrics.jsonl", "a", encoding="utf-8") if out_dir and rank == 0 else None  # noqa: SIM115
    total = config.epochs * steps_per_epoch if steps_per_epoch else None
    if config.max_steps is not None:
        total = min(total, config.max_steps) if total else config.max_steps
    started = time.perf_counter()
    losses: list[float] = []
    last = math.nan
    units_done, units_clock = 0, time.perf_counter()

    def validate() -> None:
        if evaluate is None:
            return
        score: float | None = None
        extras: dict[str, float] = {}
        if rank == 0:
            was_training = task.model.training
            task.model.eval()
            with torch.no_grad():
                result = evaluate(task.model)
            task.model.train(was_training)
            score, extras = (float(result[0]), result[1]) if isinstance(result, tuple) else (float(result), {})
        score = _shared_score(score, world)
        nonlocal saved_best
        best = position["best"]  # this run's best (its learning-rate schedule follows it)
        improved = _beats(score, best, config.eval_mode)
        # the model on disk is replaced only by one at least as good
        keep = improved and not _beats(saved_best, score, config.eval_mode)
        lr = optimizers[0].param_groups[0]["lr"] if optimizers else math.nan
        record = {"step": int(position["global_step"]), "epoch": int(position["epoch"]), "score": score, "lr": lr,
                  "seconds": round(prior_seconds + time.perf_counter() - started, 1), **extras}
        position["evaluations"].append(record)
        if metrics is not None:
            metrics.write(json.dumps({"validation": score, **record}) + "\n")
            metrics.flush()
        if improved:
            position["best"] = score
        if keep and on_best is not None:
            if out_dir is not None:
                saved_best = score  # on every rank: they must take the same decisions
            if rank == 0:
                if out_dir is not None:
                    write_best_score(out_dir, score, int(position["global_step"]), config.eval_mode)
                on_best(score)
        if improved:
            checkpoint()  # a resumed run starts from its best state, not an older one
        elif config.anneal < 1.0:
            for opt in optimizers:
                for group in opt.param_groups:
                    group["lr"] = max(config.min_lr, group["lr"] * config.anneal)
            logger.info("validation %.4f did not improve on %.4f: learning rate x %g", score, best, config.anneal)
        bar.write(f"validation at step {record['step']}: {score:.4f} (best {position['best']:.4f})")

    def checkpoint() -> None:
        position["seconds"] = prior_seconds + time.perf_counter() - started
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
                if (config.max_minutes is not None
                        and prior_seconds + time.perf_counter() - started >= 60 * config.max_minutes):
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
                warm = min(1.0, (position["global_step"] + 1) / config.warmup_steps) if config.warmup_steps else 1.0
                for opt in optimizers:
                    _scale_lr(opt, warm)
                    opt.step()
                    _scale_lr(opt, config.lr_decay / warm)
                last = float(loss.detach())
                losses.append(last)
                units_done += _units(task, batch)
                position["step_in_epoch"] += 1
                position["global_step"] += 1
                step = int(position["global_step"])
                bar.update(1)
                if step % config.log_every == 0:
                    recent = sum(losses[-config.log_every:]) / len(losses[-config.log_every:])
                    now = time.perf_counter()
                    line: dict[str, Any] = {"step": step, "epoch": epoch, "loss": recent, "seconds": now - started}
                    shown = {"loss": f"{recent:.4f}"}
                    if config.perplexity:
                        line["ppl"] = math.exp(min(recent, 50.0))
                        shown["ppl"] = f"{line['ppl']:.1f}"
                    if units_done:
                        line["units_per_s"] = units_done * world / max(now - units_clock, 1e-9)
                        shown["tok/s"] = f"{line['units_per_s']:.0f}"
                        units_done, units_clock = 0, now
                    log_stats = getattr(task, "log_stats", None)
                    if callable(log_stats):
                        for key, value in log_stats().items():
                            line[key] = value
                            shown[key] = f"{value:.4g}"
                    bar.set_postfix(shown)
                    if metrics is not None:
                        metrics.write(json.dumps(line) + "\n")
                        metrics.flush()
                if config.eval_every and step % config.eval_every == 0:
                    validate()
                if config.checkpoint_every and step % config.checkpoint_every == 0:
                    checkpoint()
            else:
                position["epoch"] += 1
                position["step_in_epoch"] = 0
                if not (config.eval_every and position["global_step"] % config.eval_every == 0):
                    validate()
                checkpoint()
                if on_epoch_end is not None and rank == 0:
                    on_epoch_end(epoch)
                continue
            break  # max_steps or max_minutes reached
        if evaluate is not None and (not position["evaluations"]
                                     or position["evaluations"][-1]["step"] != position["global_step"]):
            validate()  # a run cut short by max_steps still gets its final score
        checkpoint()
        barrier()  # no rank reads the output folder before rank 0 has written it
    finally:
        bar.close()
        if metrics is not None:
            metrics.close()
    seconds = time.perf_counter() - started
    return LoopResult(steps=int(position["global_step"]), seconds=seconds, total_seconds=prior_seconds + seconds,
                      last_loss=last, losses=losses, resumed_from=resumed_from,
                      # the model on disk may be better than any this run reached (kept, not replaced)
                      best=saved_best if _beats(saved_best, position["best"], config.eval_mode) else position["best"],
                      evaluations=list(position["evaluations"]))
