"""Keeping the best model of a run: the ``on_best`` callback of ``embedlab.train.loop.train``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn


class KeepBest:
    """Save the model whenever validation improves: with ``save`` to disk, else a copy in memory.

    ``restore()`` puts the in-memory copy back into the module (a no-op after disk saves: load the
    folder instead).
    """

    def __init__(self, module: nn.Module, save: Callable[[], Any] | None = None) -> None:
        self.module = module
        self.save = save
        self.score: float | None = None
        self.state: dict[str, torch.Tensor] | None = None

    def __call__(self, score: float) -> None:
        self.score = score
        if self.save is not None:
            self.save()
        else:
            self.state = {k: v.detach().clone() for k, v in self.module.state_dict().items()}

    def restore(self) -> None:
        if self.state is not None:
            self.module.load_state_dict(self.state)
