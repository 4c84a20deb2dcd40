"""The two embedding protocols: OpenAI ``POST /v1/embeddings`` and TEI ``POST /embed``.

Each handler takes the raw body and the connection and returns the response; the ``Front`` layer
calls them directly and FastAPI's routes (for ``/docs``) call the same functions.
"""

from __future__ import annotations

import base64
from typing import Any, TypeVar

import numpy as np
import orjson
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from embedlab.serve.errors import ApiError, validation_message
from embedlab.serve.front import Conn
from embedlab.serve.schemas import EmbeddingsRequest, EmbedRequest
from embedlab.serve.state import ClientGone, Server

JSON = "application/json"
M = TypeVar("M", bound=BaseModel)


def parse(schema: type[M], body: bytes) -> M:
    """The body through pydantic's JSON parser; a bad one is a 422 that names the field."""
    try:
        return schema.model_validate_json(body)
    except ValidationError as exc:
        message, param = validation_message(list(exc.errors()))
        raise ApiError(422, f"invalid request body: {message}", param=param, code="invalid_request") from None


def json_response(payload: Any, status: int = 200) -> Response:
    """orjson with numpy arrays serialized natively (no per-float Python loop)."""
    return Response(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY), status_code=status, media_type=JSON)


def finish(vectors: np.ndarray, dimensions: int | None, normalize: bool) -> np.ndarray:
    """Truncate to ``dimensions``, then L2-normalize when asked (OpenAI's ``dimensions`` semantics)."""
    if dimensions is not None:
        vectors = vectors[:, :dimensions]
    if normalize:
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return np.ascontiguousarray(vectors, dtype="<f4")


async def openai_embeddings(server: Server, body: bytes, conn: Conn) -> Response:
    """Unit-length vectors (truncated to ``dimensions`` first) as float lists or base64 float32."""
    request = parse(EmbeddingsRequest, body)
    entry = server.model(conn, request.model, "embeddings")
    texts = server.texts(request.input, "input")
    dimensions = server.dimensions(entry, request.dimensions)
    try:
        vectors, counts = await server.embed(conn, entry, texts, await server.count_tokens(entry, texts))
    except ClientGone:
        return Response(status_code=499)
    vectors = finish(vectors, dimensions, normalize=True)
    if request.encoding_format == "base64":
        items: list[Any] = [base64.b64encode(row.tobytes()).decode("ascii") for row in vectors]
    else:
        items = list(vectors)
    used = sum(counts) if entry.max_tokens is None else sum(min(c, entry.max_tokens) for c in counts)
    return json_response({
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": item} for i, item in enumerate(items)],
        "model": entry.name,
        "usage": {"prompt_tokens": used, "total_tokens": used},
    })


async def tei_embed(server: Server, body: bytes, conn: Conn) -> Response:
    """A JSON list of vectors, normalized unless ``normalize`` is false; too many tokens without
    ``truncate`` is a 413, as TEI answers it."""
    request = parse(EmbedRequest, body)
    entry = server.model(conn, request.model, "embeddings")
    texts = server.texts(request.inputs, "inputs")
    dimensions = server.dimensions(entry, request.dimensions)
    if request.truncation_direction.lower() == "left":
        raise ApiError(422, "truncation_direction 'Left' is not supported; embedlab truncates on the right",
                       param="truncation_direction")
    counts = await server.count_tokens(entry, texts)
    limit = entry.max_tokens
    if limit is not None and counts is not None and not request.truncate:
        long = next((i for i, c in enumerate(counts) if c > limit), None)
        if long is not None:
            raise ApiError(413, f"input {long} has {counts[long]} tokens; {entry.name!r} reads at most {limit}: "
                                "send truncate=true or a shorter input", param="inputs")
    try:
        vectors, _ = await server.embed(conn, entry, texts, counts)
    except ClientGone:
        return Response(status_code=499)
    return json_response(finish(vectors, dimensions, request.normalize))
