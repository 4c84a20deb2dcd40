"""The loop's validation: best-model callback, plateau annealing, and both surviving a resume."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

from embedlab.train.best import KeepBest
from embedlab.train.checkpoint import load_state_tensors, state_tensors
from embedlab.train.loop import LoopConfig, train


class Toy:
    def __init__(self) -> None:
        torch.manual_seed(0)
        self.model: nn.Module = nn.Linear(2, 1)

    def optimizers(self, model: nn.Module) -> list[torch.optim.Optimizer]:
        return [torch.optim.SGD(model.parameters(), lr=1.0)]

    def batches(self, epoch: int, rank: int, world: int) -> Iterator[torch.Tensor]:
        for i in range(3):
            yield torch.full((4, 2), float(i))

    def loss(self, model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
        return model(batch).pow(2).mean() * 1e-3

    def units(self, batch: torch.Tensor) -> int:
        return batch.size(0)


def test_best_is_kept_and_lr_anneals_when_validation_does_not_improve(tmp_path: Path) -> None:
    scores = iter([3.0, 2.0, 2.5, 1.0])
    bests: list[float] = []
    task = Toy()
    result = train(task, LoopConfig(epochs=4, anneal=0.25, progress=False, log_every=1), tmp_path,
                   evaluate=lambda m: next(scores), on_best=bests.append)
    assert bests == [3.0, 2.0, 1.0] and result.best == 1.0
    lrs = [e["lr"] for e in result.evaluations]
    assert lrs == [1.0, 1.0, 1.0, 0.25]  # recorded before the annealing each one caused
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [x["validation"] for x in lines if "validation" in x] == [3.0, 2.0, 2.5, 1.0]
    assert all("units_per_s" in x for x in lines if "loss" in x)


def test_a_resumed_run_remembers_the_best_score_and_the_annealed_lr(tmp_path: Path) -> None:
    first = iter([2.0, 3.0])
    train(Toy(), LoopConfig(epochs=2, anneal=0.5, progress=False), tmp_path, evaluate=lambda m: next(first))
    state = json.loads((tmp_path / "checkpoint" / "state.json").read_text())
    assert state["position"]["best"] == 2.0
    assert state["optimizers"][0]["param_groups"][0]["lr"] == 0.5
    bests: list[float] = []
    task = Toy()
    result = train(task, LoopConfig(epochs=3, anneal=0.5, progress=False), tmp_path,
                   evaluate=lambda m: 2.5, on_best=bests.append)
    assert bests == [] and result.best == 2.0  # 2.5 is not better than the 2.0 from before the restart
    assert result.resumed_from == 6 and result.steps == 9


def test_a_kill_between_recording_the_best_score_and_saving_the_model(tmp_path: Path) -> None:
    """Killed after best-score.json says 1.0 but before that model was saved (and before the
    checkpoint): the re-run, trained again to the same 1.0, saves it; a worse score never replaces it."""
    from embedlab.train.loop import read_best_score, write_best_score

    train(Toy(), LoopConfig(epochs=1, progress=False), tmp_path, evaluate=lambda m: 3.0, on_best=lambda s: None)
    write_best_score(tmp_path, 1.0, 6, "min")  # the killed run got this far at its second evaluation
    bests: list[float] = []
    scores = iter([2.0, 1.0, 0.5])  # a worse one, the same one trained again, a better one
    train(Toy(), LoopConfig(epochs=4, progress=False), tmp_path, evaluate=lambda m: next(scores),
          on_best=bests.append)
    assert bests == [1.0, 0.5] and read_best_score(tmp_path, "min") == 0.5


def test_max_mode_and_max_steps_still_validate_at_the_end(tmp_path: Path) -> None:
    calls: list[int] = []

    def evaluate(model: nn.Module) -> float:
        calls.append(1)
        return float(len(calls))  # 1, then 2: rising, so the last one is best in "max" mode

    result = train(Toy(), LoopConfig(epochs=5, max_steps=4, eval_mode="max", progress=False), None, evaluate=evaluate)
    assert [e["step"] for e in result.evaluations] == [3, 4] and result.best == 2.0


def test_keep_best_restores_the_weights_it_copied() -> None:
    model = nn.Linear(2, 2)
    keeper = KeepBest(model)
    keeper(1.0)
    saved = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    keeper.restore()
    torch.testing.assert_close(model.weight, saved)


def test_shared_tensors_are_stored_once_and_must_be_tied_on_load() -> None:
    tied = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 5))
    tied[1].weight = tied[0].weight
    weights, aliases = state_tensors(tied)
    assert aliases == {"1.weight": "0.weight"} and "1.weight" not in weights
    fresh = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 5))
    fresh[1].weight = fresh[0].weight
    load_state_tensors(fresh, weights, aliases)
    torch.testing.assert_close(fresh[1].weight, tied[0].weight)
    untied = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 5))
    with pytest.raises(Exception, match="does not tie"):
        load_state_tensors(untied, weights, aliases)


def test_per_step_lr_decay_task_log_stats_and_total_time_over_a_resume(tmp_path: Path) -> None:
    class Logged(Toy):
        def log_stats(self) -> dict[str, float]:
            return {"acc": 0.5}

    first = train(Logged(), LoopConfig(epochs=1, lr_decay=0.5, progress=False, log_every=1), tmp_path)
    state = json.loads((tmp_path / "checkpoint" / "state.json").read_text())
    assert state["optimizers"][0]["param_groups"][0]["lr"] == pytest.approx(0.5 ** 3)  # 3 steps
    assert first.total_seconds == pytest.approx(first.seconds, rel=0.5)
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [x["acc"] for x in lines if "loss" in x] == [0.5, 0.5, 0.5]
    second = train(Logged(), LoopConfig(epochs=2, lr_decay=0.5, progress=False), tmp_path)
    assert second.resumed_from == 3 and second.steps == 6
    assert second.total_seconds >= state["position"]["seconds"] > 0   # the first run's time carries over
