"""The front door, one ASGI layer before FastAPI's routing: the bearer key (401), the body size (413),
metrics for every request, and the embedding routes answered directly.

The embedding routes (``HOT``) skip FastAPI's routing and dependency machinery: on the static model
that machinery costs more than encoding the sentence. FastAPI still declares them (``/docs``) and
reaches the same handlers if this layer is not in front. The body limit holds for a
``Content-Length`` that is too big and, through ``BodyTooLarge``, for a chunked body that grows past it.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import Response

from embedlab.serve.errors import ApiError, error_body, error_response
from embedlab.serve.metrics import Metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Handler = Callable[[bytes, "Conn"], Awaitable[Response]]

OPEN_PATHS = frozenset({"/health"})  # what a load balancer probes without a key
log = logging.getLogger("embedlab.serve")


class Conn:
    """What a handler needs of its connection: the ASGI ``receive`` (to notice a disconnect) and the
    request's state, where the handler notes the model it used (the metrics' label)."""

    __slots__ = ("receive", "state")

    def __init__(self, receive: Receive, state: dict[str, Any]) -> None:
        self.receive = receive
        self.state = state

    @property
    def model(self) -> str:
        return str(self.state.get("model", ""))

    @model.setter
    def model(self, name: str) -> None:
        self.state["model"] = name

    async def disconnected(self) -> None:
        """Returns when the client disconnects (the body has been read: the next message is the disconnect)."""
        while (await self.receive())["type"] != "http.disconnect":
            pass


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit; the app answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit))


def too_large(limit: int) -> str:
    return f"the request body is larger than the server's limit of {limit} bytes; send fewer or shorter inputs per request"


class Front:
    """ASGI middleware (``app.add_middleware(Front, ...)``); ``hot`` maps POST paths to handlers."""

    def __init__(self, app: ASGIApp, *, api_key: str | None, max_body_bytes: int, metrics: Metrics,
                 routes: frozenset[str], hot: Mapping[str, Handler]) -> None:
        self.app = app
        self.expected = f"Bearer {api_key}".encode() if api_key else None
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.routes = routes
        self.hot = hot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"]
        status = 500
        model = ""

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            refusal = self._refusal(scope, path)
            if refusal is not None:
                await refusal(scope, receive, record)
                return
            handler = self.hot.get(path) if scope["method"] == "POST" else None
            if handler is None:
                await self.app(scope, self._bounded(receive), record)
                model = (scope.get("state") or {}).get("model", "")
                return
            conn = Conn(receive, scope.setdefault("state", {}))
            try:
                response = await handler(await self._body(receive), conn)
            except ApiError as exc:
                response = error_response(path, exc)
            except Exception:  # noqa: BLE001 - never a trace to the client; the log has it
                log.exception("POST %s failed", path)
                response = error_response(path, ApiError(500, "the server failed on this request; the error is in "
                                                               "its log", code="internal_error"))
            model = conn.model
            await response(scope, receive, record)
        finally:
            self.metrics.observe(path if path in self.routes else "other", model, status,
                                 time.perf_counter() - started)

    def _refusal(self, scope: Scope, path: str) -> Response | None:
        headers = dict(scope.get("headers") or [])
        if self.expected is not None and path not in OPEN_PATHS:
            given = headers.get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                message = ("missing API key: send the header 'Authorization: Bearer KEY'" if not given
                           else "incorrect API key")
                return self._error(path, 401, message, "invalid_api_key", {"www-authenticate": "Bearer"})
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return self._error(path, 413, too_large(self.max_body_bytes), "request_too_large")
        return None

    async def _body(self, receive: Receive) -> bytes:
        chunks = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise ApiError(400, "the client closed the connection before sending the whole body")
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_body_bytes:
                raise ApiError(413, too_large(self.max_body_bytes), code="request_too_large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _bounded(self, receive: Receive) -> Receive:
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        return bounded

    @staticmethod
    def _error(path: str, status: int, message: str, code: str, extra: dict[str, str] | None = None) -> Response:
        return Response(error_body(path, status, message, code=code), status_code=status,
                        media_type="application/json", headers=extra)
