"""Match drop (Wilkerson, the invertible sentence autoencoder): a position whose predicted vector
already decodes to the right word (its nearest vocabulary vector is the target's) leaves the loss,
with probability ``probability``.

Regressing word vectors, the squared error keeps pulling every position toward its exact target even
once the nearest-word decoding is right; match drop spends the gradient on the positions still wrong.
The nearest-word test is ``NearestWords.matches`` (a certified top-K shortcut, exact). The caller divides
by all real positions, not only the kept ones: match drop removes gradient, it does not re-weight the
rest, so the step size stays steady as more words come out right.
"""

from __future__ import annotations

import time

import torch

from embedlab.autoencoder.nearest import NearestWords


class MatchDrop:
    """Which positions stay in the loss; counts the share already right and the time the test takes.

    Args:
        table: (V, d) the word vectors decoding compares against.
        probability: that a matched position is dropped (1.0: always).
        neighbours: K of the nearest-word certificate (0 = the full matmul every time).
    """

    def __init__(self, table: torch.Tensor, probability: float, neighbours: int) -> None:
        self.probability = probability
        self.nearest = NearestWords(table, neighbours=neighbours)
        self.seconds = 0.0     # spent in the test, all steps
        self.matched = 0       # since the last ``take_accuracy``
        self.positions = 0

    def keep(self, predicted: torch.Tensor, target_ids: torch.Tensor, per_position: torch.Tensor) -> torch.Tensor:
        """predicted (N, d), target_ids (N,), per_position (N,) losses -> (N,) bool, True where the loss stays."""
        started = time.perf_counter()
        matched = self.nearest.matches(predicted, target_ids)                 # (N,) bool
        self.seconds += time.perf_counter() - started
        self.matched += int(matched.sum())
        self.positions += int(target_ids.numel())
        if self.probability >= 1.0:
            return ~matched
        return ~(matched & (torch.rand_like(per_position) < self.probability))

    def take_accuracy(self) -> float | None:
        """The share of positions decoded right since the last call (None when none was seen)."""
        if not self.positions:
            return None
        share = self.matched / self.positions
        self.matched = self.positions = 0
        return share
