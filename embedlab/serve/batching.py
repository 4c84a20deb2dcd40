"""Dynamic batching: concurrent requests merged into one ``encode`` call under a token budget.

While the model encodes one batch, new requests wait in a bounded queue; the next batch takes as
many waiting requests, oldest first, as fit in ``max_batch_tokens`` (always at least one, so one big
request is never refused for its size here). No timer holds a request back: under light load each
request is its own batch, under heavy load batches grow by themselves (TEI's scheme). A request whose
client has gone is dropped from the queue before it costs any work.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

# What an encode call gives: (n, d) vectors, and each text's token count when the model counts them
# as it encodes (the static model tokenizes once for both), else None.
Encoded = tuple[np.ndarray, list[int] | None]


class QueueFull(Exception):
    """The model's queue holds ``max_queue`` requests; the caller should answer 503."""


@dataclass
class _Job:
    texts: list[str]
    tokens: int
    future: asyncio.Future[Encoded] = field(repr=False)


class DynamicBatcher:
    """Merges concurrent ``submit`` calls into batched ``encode(texts) -> Encoded`` calls on ``executor``.

    Args:
        encode: texts -> ((n, d) float32, token counts or None), run on ``executor`` (one thread per model: torch and the
            tokenizers are not shared across threads).
        on_batch: called with (inputs, tokens) of each batch run (metrics).
    """

    def __init__(self, encode: Callable[[list[str]], Encoded], executor: Executor, *, max_batch_tokens: int,
                 max_queue: int, on_batch: Callable[[int, int], None] | None = None) -> None:
        self._encode = encode
        self._executor = executor
        self.max_batch_tokens = max_batch_tokens
        self.max_queue = max_queue
        self._on_batch = on_batch
        self._queue: deque[_Job] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running: list[_Job] = []

    @property
    def depth(self) -> int:
        """Requests waiting (not counting the batch being encoded)."""
        return len(self._queue)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop now: the requests in the batch being encoded and those still queued are cancelled
        (the server calls this after its requests in flight have finished)."""
        for job in self._running:
            job.future.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while self._queue:
            self._queue.popleft().future.cancel()

    def enqueue(self, texts: list[str], tokens: int) -> asyncio.Future[Encoded]:
        """A future of the vectors (and token counts) of ``texts``; cancelling it drops the request from
        the queue (if its batch has not started).

        Raises:
            QueueFull: ``max_queue`` requests are already waiting.
        """
        if len(self._queue) >= self.max_queue:
            # Requests whose clients left still sit in the queue until a batch skips them.
            self._queue = deque(job for job in self._queue if not job.future.done())
            if len(self._queue) >= self.max_queue:
                raise QueueFull
        self.start()
        job = _Job(texts, tokens, asyncio.get_running_loop().create_future())
        self._queue.append(job)
        self._wake.set()
        return job.future

    async def submit(self, texts: list[str], tokens: int) -> Encoded:
        """``await enqueue(...)``: the vectors (and token counts) of ``texts``."""
        return await self.enqueue(texts, tokens)

    def _next_batch(self) -> list[_Job]:
        batch: list[_Job] = []
        budget = self.max_batch_tokens
        while self._queue:
            job = self._queue[0]
            if job.future.done():            # its client went away while it waited
                self._queue.popleft()
                continue
            if batch and job.tokens > budget:
                break
            batch.append(self._queue.popleft())
            budget -= job.tokens
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
            batch = self._next_batch()
            if not batch:
                continue
            texts = [t for job in batch for t in job.texts]
            self._running = batch
            try:
                vectors, counts = await loop.run_in_executor(self._executor, self._encode, texts)
            except Exception as exc:  # noqa: BLE001 - the error goes to the batch's requests, not the loop
                await self._one_by_one(batch, exc)
                continue
            if self._on_batch is not None:
                self._on_batch(len(texts), sum(counts) if counts is not None else sum(job.tokens for job in batch))
            start = 0
            for job in batch:
                end = start + len(job.texts)
                if not job.future.done():
                    job.future.set_result((vectors[start:end], None if counts is None else counts[start:end]))
                start = end

    async def _one_by_one(self, batch: list[_Job], exc: Exception) -> None:
        """A merged batch failed: encode its requests one at a time, so one bad request fails alone."""
        loop = asyncio.get_running_loop()
        if len(batch) == 1:
            if not batch[0].future.done():
                batch[0].future.set_exception(exc)
            return
        for job in batch:
            if job.future.done():
                continue
            try:
                job.future.set_result(await loop.run_in_executor(self._executor, self._encode, job.texts))
            except Exception as own:  # noqa: BLE001
                if not job.future.done():
                    job.future.set_exception(own)
