"""The dynamic batcher, without HTTP: what it merges, in which order, under which budget."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from embedlab.serve.batching import DynamicBatcher, QueueFull


class Recorder:
    """encode(texts) -> each text's length as a 1-d vector, recording every batch; ``gate`` holds the
    first call until released, so that requests pile up behind it."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = threading.Event()

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, None]:
        if not self.batches:
            self.gate.wait(10)
        self.batches.append(list(texts))
        if "boom" in texts:
            raise ValueError("bad input")
        return np.array([[len(t)] for t in texts], dtype=np.float32), None


def run(coro_fn):  # type: ignore[no-untyped-def]
    return asyncio.run(coro_fn())


def test_waiting_requests_merge_oldest_first_under_the_token_budget() -> None:
    rec = Recorder()

    async def main() -> list[np.ndarray]:
        batcher = DynamicBatcher(rec, ThreadPoolExecutor(1), max_batch_tokens=10, max_queue=100)
        first = batcher.enqueue(["a"], 1)
        await asyncio.sleep(0.05)  # the first batch is running (held at the gate)
        waiting = [batcher.enqueue([t], n) for t, n in (("bb", 4), ("ccc", 4), ("dddd", 4), ("e", 1))]
        rec.gate.set()
        out = await asyncio.gather(first, *waiting)
        await batcher.stop()
        return out

    out = run(main)
    # budget 10: 4 + 4 fit, the third 4 does not; then 4 + 1.
    assert rec.batches == [["a"], ["bb", "ccc"], ["dddd", "e"]]
    assert [float(v[0][0, 0]) for v in out] == [1, 2, 3, 4, 1]


def test_a_request_bigger_than_the_budget_runs_alone() -> None:
    rec = Recorder()
    rec.gate.set()

    async def main() -> np.ndarray:
        batcher = DynamicBatcher(rec, ThreadPoolExecutor(1), max_batch_tokens=2, max_queue=10)
        out, counts = await batcher.submit(["x" * 50, "y"], 50)
        await batcher.stop()
        assert counts is None
        return out

    np.testing.assert_array_equal(run(main), [[50], [1]])


def test_a_full_queue_refuses_and_a_cancelled_request_is_never_encoded() -> None:
    rec = Recorder()

    async def main() -> None:
        batcher = DynamicBatcher(rec, ThreadPoolExecutor(1), max_batch_tokens=100, max_queue=2)
        first = batcher.enqueue(["running"], 1)
        await asyncio.sleep(0.05)
        gone = batcher.enqueue(["gone"], 1)
        kept = batcher.enqueue(["kept"], 1)
        with pytest.raises(QueueFull):
            batcher.enqueue(["refused"], 1)
        assert batcher.depth == 2
        gone.cancel()  # its client left: its place in the queue is free again
        late = batcher.enqueue(["late"], 1)
        with pytest.raises(QueueFull):
            batcher.enqueue(["refused"], 1)
        rec.gate.set()
        assert float((await late)[0][0, 0]) == 4
        await first
        assert float((await kept)[0][0, 0]) == 4
        await batcher.stop()

    run(main)
    assert rec.batches == [["running"], ["kept", "late"]]


def test_one_failing_request_fails_alone() -> None:
    rec = Recorder()

    async def main() -> tuple[Any, ...]:
        batcher = DynamicBatcher(rec, ThreadPoolExecutor(1), max_batch_tokens=100, max_queue=10)
        first = batcher.enqueue(["a"], 1)
        await asyncio.sleep(0.05)
        rest = [batcher.enqueue([t], 1) for t in ("ok", "boom", "fine")]
        rec.gate.set()
        out = await asyncio.gather(first, *rest, return_exceptions=True)
        await batcher.stop()
        return tuple(out)

    out = run(main)
    assert isinstance(out[2], ValueError)
    assert [float(v[0][0, 0]) for v in (out[0], out[1], out[3])] == [1, 2, 4]  # type: ignore[index]
    # The merged batch failed, then each request ran on its own.
    assert rec.batches == [["a"], ["ok", "boom", "fine"], ["ok"], ["boom"], ["fine"]]
