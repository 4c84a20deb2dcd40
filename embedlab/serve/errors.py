"""Error responses in each protocol's own shape, and the one exception routes raise.

- OpenAI (``/v1/...``): ``{"error": {"message", "type", "param", "code"}}``;
- TEI (``/embed``, ``/info``): ``{"error": message, "error_type": kind}``.

A response never carries a stack trace: unexpected errors are logged here and answered with a
fixed message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.responses import Response

log = logging.getLogger("embedlab.serve")

# OpenAI's error types by status; TEI's error_type names by status. A full queue is 503 on both
# protocols (TEI itself answers 429 there), with Retry-After.
_OPENAI_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 404: "invalid_request_error",
                 405: "invalid_request_error", 413: "invalid_request_error", 422: "invalid_request_error",
                 503: "server_error", 500: "server_error"}
_TEI_TYPES = {400: "Validation", 401: "Unauthorized", 404: "NotFound", 413: "Validation", 422: "Tokenizer",
              503: "Overloaded", 500: "Backend"}


class ApiError(Exception):
    """A request the server refuses: its status, a message that says what to do, the offending field."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}


def is_tei(path: str) -> bool:
    return not path.startswith("/v1/")


def error_body(path: str, status: int, message: str, param: str | None = None, code: str | None = None) -> bytes:
    if is_tei(path):
        body: dict[str, Any] = {"error": message, "error_type": _TEI_TYPES.get(status, "Validation")}
    else:
        body = {"error": {"message": message, "type": _OPENAI_TYPES.get(status, "invalid_request_error"),
                          "param": param, "code": code}}
    return orjson.dumps(body)


def error_response(path: str, error: ApiError) -> Response:
    return Response(error_body(path, error.status, error.message, error.param, error.code), status_code=error.status,
                    media_type="application/json", headers=error.headers)


def validation_message(errors: Sequence[Any]) -> tuple[str, str | None]:
    """pydantic's errors -> (one readable message, the first offending field)."""
    parts = []
    param = None
    for err in errors[:3]:
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        param = param or (loc[0] if loc else None)
        if not loc and err.get("type") in ("model_attributes_type", "dict_type", "model_type"):
            parts.append("the body must be a JSON object (send Content-Type: application/json)")
        elif not loc and err.get("type") == "json_invalid":
            parts.append(f"the body is not valid JSON ({err.get('msg', '')})")
        else:
            parts.append(f"{'.'.join(loc) or 'body'}: {err.get('msg', 'invalid')}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more, param
