"""What the routes share: the served models, their batchers, the limits, the metrics; and the checks
every request goes through (which model, which inputs, which dimensions)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from embedlab.errors import EmbedlabError
from embedlab.serve.batching import DynamicBatcher, QueueFull
from embedlab.serve.errors import ApiError
from embedlab.serve.front import Conn
from embedlab.serve.metrics import Metrics
from embedlab.serve.models import ServedModel
from embedlab.serve.settings import ServeSettings

T = TypeVar("T")
# Token counting runs on the event loop up to this many characters, on the model's thread beyond.
INLINE_COUNT_CHARS = 65536
# A request still waiting after this long gets a task that watches for its client going away.
WATCH_AFTER_S = 0.05


class ClientGone(Exception):
    """The client disconnected while its request waited."""


class Server:
    """What the routes share: the models, their batchers, the limits and the metrics."""

    def __init__(self, served: dict[str, ServedModel], settings: ServeSettings) -> None:
        if not served:
            raise EmbedlabError("no model to serve: give at least one MODEL")
        self.served = served
        self.settings = settings
        self.default = next(iter(served))
        self.metrics = Metrics()
        self.batchers: dict[str, DynamicBatcher] = {}
        self.pending: dict[str, int] = dict.fromkeys(served, 0)
        for name, entry in served.items():
            if entry.embeds:
                self.batchers[name] = DynamicBatcher(
                    entry.encode, entry.executor, max_batch_tokens=settings.max_batch_tokens,
                    max_queue=settings.max_queue, on_batch=self._batch_observer(name))

    def _batch_observer(self, name: str) -> Callable[[int, int], None]:
        inputs, tokens = self.metrics.batch_inputs.labels(name), self.metrics.batch_tokens.labels(name)

        def observe(n_inputs: int, n_tokens: int) -> None:
            inputs.observe(n_inputs)
            tokens.observe(n_tokens)

        return observe

    # --- resolving what a request names -----------------------------------------------------------
    def model(self, conn: Conn, name: str | None, capability: str) -> ServedModel:
        entry = self.served.get(name or self.default)
        if entry is None:
            raise ApiError(404, f"the model {name!r} is not served here; served: {', '.join(self.served)} "
                                "(GET /v1/models lists them)", param="model", code="model_not_found")
        conn.model = entry.name
        if capability not in entry.capabilities:
            able = [n for n, e in self.served.items() if capability in e.capabilities]
            raise ApiError(400, f"the model {entry.name!r} does not do {capability} (it does: "
                                f"{', '.join(entry.capabilities)}); models here that do: {', '.join(able) or 'none'}",
                           param="model", code="unsupported_model")
        return entry

    def texts(self, given: Any, param: str) -> list[str]:
        """A string or a list of strings, within the limits; token ids are refused with a clear 400."""
        texts = [given] if isinstance(given, str) else list(given)
        if not texts:
            raise ApiError(400, f"'{param}' is empty: send a string or a non-empty list of strings", param=param)
        if not all(isinstance(t, str) for t in texts):
            raise ApiError(400, f"'{param}' holds token ids; this server takes text only: send a string or a list of "
                                "strings", param=param, code="unsupported_input")
        if len(texts) > self.settings.max_inputs:
            raise ApiError(413, f"'{param}' has {len(texts)} inputs; the limit is {self.settings.max_inputs} per "
                                "request: split it into several requests", param=param, code="too_many_inputs")
        limit = self.settings.max_input_chars
        long = next((i for i, t in enumerate(texts) if len(t) > limit), None)
        if long is not None:
            raise ApiError(413, f"input {long} has {len(texts[long])} characters; the limit is {limit} per input",
                           param=param, code="input_too_long")
        return texts

    # --- running on a model ------------------------------------------------------------------------
    async def count_tokens(self, entry: ServedModel, texts: list[str]) -> list[int] | None:
        """Each text's tokens, or None for a model that counts them as it encodes."""
        if entry.counts_in_encode:
            return None
        if entry.count_inline and sum(len(t) for t in texts) <= INLINE_COUNT_CHARS:
            return entry.count_tokens(texts)
        return await self.on_model(entry, lambda: entry.count_tokens(texts))

    async def embed(self, conn: Conn, entry: ServedModel, texts: list[str],
                    counts: list[int] | None) -> tuple[np.ndarray, list[int]]:
        """(n, d) raw vectors of ``texts`` through the model's batcher, and their token counts; dropped
        if the client goes. Without counts, the batch budget takes 4 characters for a token."""
        budget = sum(counts) if counts is not None else sum(len(t) for t in texts) // 4 + len(texts)
        try:
            job = self.batchers[entry.name].enqueue(texts, budget)
        except QueueFull:
            raise self._busy(entry) from None
        # Watching for a disconnect costs a task per request, so only requests still waiting after
        # WATCH_AFTER_S get a watcher; one whose client has gone is cancelled out of the queue.
        loop = asyncio.get_running_loop()
        watchers: list[asyncio.Task[None]] = []
        gone = False

        def on_disconnect(watcher: asyncio.Task[None]) -> None:
            nonlocal gone
            if not watcher.cancelled() and watcher.exception() is None and not job.done():
                gone = True
                job.cancel()

        def watch() -> None:
            watchers.append(loop.create_task(conn.disconnected()))
            watchers[0].add_done_callback(on_disconnect)

        timer = loop.call_later(WATCH_AFTER_S, watch)
        try:
            vectors, counted = await job
            return vectors, counted if counted is not None else counts or []
        except asyncio.CancelledError:
            if not gone:
                raise
            self.metrics.dropped.labels(entry.name).inc()
            raise ClientGone from None
        finally:
            timer.cancel()
            for watcher in watchers:
                watcher.cancel()

    def _busy(self, entry: ServedModel) -> ApiError:
        return ApiError(503, f"the server is busy: {self.settings.max_queue} requests wait for {entry.name!r}; "
                             "retry after the time in Retry-After", code="overloaded", headers={"Retry-After": "1"})

    async def on_model(self, entry: ServedModel, work: Callable[[], T]) -> T:
        """``work()`` on the model's thread, counted against its queue bound."""
        if self.pending[entry.name] >= self.settings.max_queue:
            raise self._busy(entry)
        self.pending[entry.name] += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(entry.executor, work)
        finally:
            self.pending[entry.name] -= 1

    def dimensions(self, entry: ServedModel, dimensions: int | None) -> int | None:
        dim = entry.dimensions or 0
        if dimensions is not None and not 0 < dimensions <= dim:
            raise ApiError(400, f"dimensions must be in 1..{dim} for {entry.name!r}, got {dimensions}",
                           param="dimensions", code="invalid_dimensions")
        return dimensions
