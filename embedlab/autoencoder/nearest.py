"""Nearest vocabulary word by cosine: decoding, and the match test behind match drop.

``nearest`` is a chunked matmul over the unit-normalized table. ``matches`` answers the cheaper
question match drop asks, "is the target the nearest word?", exactly and mostly without touching
the whole table. First, the table's first ``screen`` rows (a vocabulary sorted by count puts its
frequent words there) are compared with every prediction: most wrong predictions lose to a frequent
word. The rest use each word's K nearest neighbours (computed once):

with y the unit prediction, t the target and theta = angle(y, t), any word w that beats t has
angle(y, w) < theta, so angle(t, w) < 2 theta (triangle inequality on the sphere). If 2 theta is below
the angle from t to its K-th neighbour, every possible winner is among t's K neighbours, and comparing
y with those K decides. A neighbour already beating t decides "no" at once. The rows left undecided
(predictions not close enough to their target for the certificate, which includes most words that are
right early in training) scan the table: in bfloat16 where that is faster, with the near-ties
re-scored in float32 against the few words that could beat the target; otherwise in float32 chunks
of frequent words first, a row leaving once any word beats it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

# Bound on |bfloat16 score - exact score| for unit vectors: inputs rounded to 8-bit mantissas (relative
# error 2^-9 each, so at most 2^-8 * sum |y_i w_i| <= 2^-8 over the dot product, accumulated in float32),
# plus rounding the result to bfloat16 (2^-9 for |score| <= 1): under 0.006. Scores within the margin
# of the target's are re-checked in float32, so the screen never changes an answer.
BF16_MARGIN = 0.01


def _bf16_is_faster(unit: torch.Tensor) -> bool:
    """Is a bfloat16 matmul clearly faster than float32 here (CPUs with bf16 units)? Timed once."""
    probe = torch.randn(256, unit.size(1))
    sample = unit[: min(unit.size(0), 8192)].t().contiguous()
    low, low_sample = probe.to(torch.bfloat16), sample.to(torch.bfloat16)

    def clock(fn: Callable[[], object]) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - started)
        return best

    return clock(lambda: low @ low_sample) < 0.6 * clock(lambda: probe @ sample)


class NearestWords:
    """Cosine nearest-neighbour search over a word table.

    Args:
        table: (V, d) word vectors; rows in ``exclude`` (padding) are never returned.
        neighbours: K for the match certificate (0 = always use the full matmul).
        screen: the first rows of the table (its frequent words) compared with every prediction
            before the certificate.
        chunk: rows of the table per matmul (bounds the (N, chunk) score block).
        bfloat16: screen with bfloat16 matmuls (True), never (False), or when they are faster than
            float32 on this CPU (None: timed once); the answers stay exact (see ``BF16_MARGIN``).
    """

    def __init__(self, table: torch.Tensor, *, exclude: tuple[int, ...] = (0,), neighbours: int = 32,
                 screen: int = 256, chunk: int = 4096, bfloat16: bool | None = None) -> None:
        self.unit = F.normalize(table.detach().float(), dim=1)                # (V, d)
        self.exclude = torch.tensor(exclude, dtype=torch.long)
        self.chunk = chunk
        self.screen = min(screen, self.unit.size(0))
        self.k = min(neighbours, self.unit.size(0) - 1 - len(exclude))
        self.neighbour_ids: torch.Tensor | None = None                        # (V, K)
        self.radius: torch.Tensor | None = None                               # (V,): angle to the K-th
        self.stats = {"rows": 0, "full_rows": 0, "near_ties": 0}
        use_low = _bf16_is_faster(self.unit) if bfloat16 is None else bfloat16
        self._low_table = self.unit.t().contiguous().to(torch.bfloat16) if use_low else None  # (d, V)
        self._low_unit = self._low_table.t().contiguous() if self._low_table is not None else None  # (V, d)
        if self.k > 0:
            self._index()

    def _scores(self, rows: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        block = rows @ self.unit[start:stop].t()                               # (N, chunk)
        inside = self.exclude[(self.exclude >= start) & (self.exclude < stop)]
        if inside.numel():
            block[:, inside - start] = -float("inf")
        return block

    def _index(self) -> None:
        ids, radius = [], []
        for start in range(0, self.unit.size(0), self.chunk):
            rows = self.unit[start:start + self.chunk]
            best_v, best_i = self.top(rows, self.k + 1)                       # self first, then K neighbours
            ids.append(best_i[:, 1:])
            radius.append(torch.arccos(best_v[:, -1].clamp(-1.0, 1.0)))
        self.neighbour_ids = torch.cat(ids)
        self.radius = torch.cat(radius)

    @torch.no_grad()
    def top(self, rows: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Unit rows (N, d) -> the k best cosines and word ids, each (N, k)."""
        best_v = rows.new_full((rows.size(0), k), -float("inf"))
        best_i = torch.zeros(rows.size(0), k, dtype=torch.long)
        for start in range(0, self.unit.size(0), self.chunk):
            block = self._scores(rows, start, start + self.chunk)
            v, i = block.topk(min(k, block.size(1)), dim=1)
            merged_v = torch.cat([best_v, v], dim=1)
            merged_i = torch.cat([best_i, i + start], dim=1)
            best_v, order = merged_v.topk(k, dim=1)
            best_i = merged_i.gather(1, order)
        return best_v, best_i

    @torch.no_grad()
    def nearest(self, vectors: torch.Tensor) -> torch.Tensor:
        """(N, d) -> (N,) the id of each vector's nearest word by cosine (chunked, never all V x N at once)."""
        rows = F.normalize(vectors.detach().float(), dim=1)
        best_v = rows.new_full((rows.size(0),), -float("inf"))
        best_i = torch.zeros(rows.size(0), dtype=torch.long)
        for start in range(0, self.unit.size(0), self.chunk):
            v, i = self._scores(rows, start, start + self.chunk).max(dim=1)
            better = v > best_v
            best_v = torch.where(better, v, best_v)
            best_i = torch.where(better, i + start, best_i)
        return best_i

    @torch.no_grad()
    def matches(self, vectors: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """(N, d), (N,) target ids -> (N,) bool: is the target the nearest word (same answer as ``nearest``)?"""
        rows = F.normalize(vectors.detach().float(), dim=1)
        self.stats["rows"] += rows.size(0)
        if self.neighbour_ids is None or self.radius is None:
            self.stats["full_rows"] += rows.size(0)
            return self.nearest(rows) == targets
        target_score = (rows * self.unit[targets]).sum(dim=1)                   # (N,)
        result = torch.zeros(rows.size(0), dtype=torch.bool)
        alive = (~self._beaten_by_frequent(rows, targets, target_score)).nonzero().squeeze(1)
        if alive.numel():
            result[alive] = self._certify(rows[alive], targets[alive], target_score[alive])
        return result

    def _beaten_by_frequent(self, rows: torch.Tensor, targets: torch.Tensor, target_score: torch.Tensor) -> torch.Tensor:
        """(N,) bool: does one of the table's first ``screen`` words beat the target? A wrong prediction
        mostly lands near a frequent word, and in a vocabulary sorted by count those come first, so one
        small exact matmul settles most wrong rows before any per-row gathering."""
        scores = self._scores(rows, 0, self.screen)                            # (N, screen)
        own = (targets < self.screen).nonzero().squeeze(1)
        scores[own, targets[own]] = -float("inf")                               # the target is no rival
        return (scores > target_score[:, None]).any(dim=1)

    def _certify(self, rows: torch.Tensor, targets: torch.Tensor, target_score: torch.Tensor) -> torch.Tensor:
        """``matches`` through the neighbour certificate, scanning the table only for the rows it leaves open."""
        assert self.neighbour_ids is not None and self.radius is not None
        neighbours = self.neighbour_ids[targets]                                # (n, K)
        theta = torch.arccos(target_score.clamp(-1.0, 1.0))
        certain = 2 * theta < self.radius[targets] - 1e-4                       # every rival is a neighbour
        if self._low_unit is not None:
            # gathering (n, K, d) rows dominates: in bfloat16 it moves half the bytes; near-ties go on
            low = self._low_unit[neighbours]                                    # (n, K, d)
            rival = torch.bmm(low, rows.to(torch.bfloat16).unsqueeze(2)).squeeze(2).max(dim=1).values.float()
            beaten = rival > target_score + BF16_MARGIN
            result = certain & (rival < target_score - BF16_MARGIN)
        else:
            rival = torch.bmm(self.unit[neighbours], rows.unsqueeze(2)).squeeze(2).max(dim=1).values
            beaten = rival > target_score
            result = certain & ~beaten
        open_rows = (~beaten & ~result).nonzero().squeeze(1)
        if open_rows.numel():
            self.stats["full_rows"] += open_rows.numel()
            result[open_rows] = self._unbeaten(rows[open_rows], targets[open_rows], target_score[open_rows])
        return result

    def _unbeaten(self, rows: torch.Tensor, targets: torch.Tensor, target_score: torch.Tensor) -> torch.Tensor:
        """Does no word score above the target? With a fast bfloat16 matmul, a bfloat16 pass decides the
        rows whose rivals are clearly above or below the target's score; the rest are checked in float32."""
        if self._low_table is None:
            return self._unbeaten_exact(rows, targets, target_score)
        result = torch.zeros(rows.size(0), dtype=torch.bool)
        for start in range(0, rows.size(0), 512):                              # bounds the (n, V) block
            part = slice(start, start + 512)
            scores = rows[part].to(torch.bfloat16) @ self._low_table            # (n, V) bfloat16
            scores[torch.arange(scores.size(0)), targets[part]] = -float("inf")  # the target is no rival
            scores[:, self.exclude] = -float("inf")
            best_rival = scores.max(dim=1).values.float()                       # (n,)
            ts = target_score[part]
            beaten = best_rival > ts + BF16_MARGIN
            unsure = ~beaten & (best_rival > ts - BF16_MARGIN)
            decided = ~beaten & ~unsure
            if unsure.any():
                index = unsure.nonzero().squeeze(1)
                decided[index] = self._recheck(rows[part][index], scores[index], ts[index], targets[part][index])
            result[part] = decided
        return result

    def _recheck(self, rows: torch.Tensor, low_scores: torch.Tensor, target_score: torch.Tensor,
                 targets: torch.Tensor) -> torch.Tensor:
        """Near-ties of the bfloat16 screen, exactly: a word can beat the target only if its bfloat16
        score is within ``BF16_MARGIN`` of the target's, so only those (row, word) pairs are re-scored
        in float32 (a handful per row), not the table."""
        self.stats["near_ties"] += rows.size(0)
        row, word = (low_scores.float() > target_score[:, None] - BF16_MARGIN).nonzero(as_tuple=True)
        if row.numel() > 64 * rows.size(0):     # unusually flat scores: the chunked scan is cheaper
            return self._unbeaten_exact(rows, targets, target_score)
        exact = (rows[row] * self.unit[word]).sum(dim=1)                       # (pairs,)
        beaten = torch.zeros(rows.size(0), dtype=torch.bool)
        beaten[row[exact > target_score[row]]] = True
        return ~beaten

    def _unbeaten_exact(self, rows: torch.Tensor, targets: torch.Tensor, target_score: torch.Tensor) -> torch.Tensor:
        """``_unbeaten`` in float32: scans the table chunk by chunk (frequent words first), dropping a
        row as soon as some word beats its target."""
        alive = torch.arange(rows.size(0))
        result = torch.zeros(rows.size(0), dtype=torch.bool)
        for start in range(0, self.unit.size(0), self.chunk):
            stop = min(start + self.chunk, self.unit.size(0))
            block = self._scores(rows[alive], start, stop)                     # (n_alive, chunk)
            own = targets[alive]
            inside = (own >= start) & (own < stop)
            block[inside.nonzero().squeeze(1), own[inside] - start] = -float("inf")  # the target is no rival
            alive = alive[~(block > target_score[alive, None]).any(dim=1)]
            if not alive.numel():
                return result
        result[alive] = True
        return result
