"""The FastAPI app: OpenAI and TEI embeddings, word neighbours, decoding, generation, health, metrics.

Every refusal is an ``ApiError`` rendered in the shape of the route's protocol (``errors``); the
routes never let a model's exception or a stack trace reach the client.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response

from embedlab import __version__
from embedlab.errors import EmbedlabError
from embedlab.serve.embeddings import JSON, json_response, openai_embeddings, tei_embed
from embedlab.serve.errors import ApiError, error_response, validation_message
from embedlab.serve.front import Conn, Front
from embedlab.serve.models import ServedModel, load_served
from embedlab.serve.schemas import (
    DecodeRequest,
    EmbeddingsRequest,
    EmbedRequest,
    GenerateRequest,
    SimilarRequest,
)
from embedlab.serve.settings import ServeSettings
from embedlab.serve.state import Server
from embedlab.train.settings_check import USE_RULES, check_values

log = logging.getLogger("embedlab.serve")


def create_app(settings: ServeSettings, served: dict[str, ServedModel] | None = None) -> FastAPI:
    """The app serving ``served`` (default: ``settings.models`` loaded with ``embedlab.load``)."""
    server = Server(served if served is not None else load_served(settings.models, batch_size=settings.encode_batch_size),
                    settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for batcher in server.batchers.values():
            batcher.start()
        # The models and libraries are millions of long-lived objects: out of the collector's
        # sight, full collections stop pausing requests (p99 at 64 clients: 170 ms -> 20 ms).
        gc.collect()
        gc.freeze()
        yield
        # uvicorn calls this after in-flight requests have finished (graceful shutdown).
        for batcher in server.batchers.values():
            await batcher.stop()
        loop = asyncio.get_running_loop()
        for entry in server.served.values():  # off the loop: a long generation must not freeze it
            await loop.run_in_executor(None, partial(entry.executor.shutdown, wait=True))

    app = FastAPI(title="embedlab", version=__version__, lifespan=lifespan,
                  description="Embeddings (OpenAI and TEI protocols), word neighbours, decoding and generation.")
    app.state.server = server

    # --- errors: each in its protocol's shape, never a trace ---------------------------------------
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return error_response(request.url.path, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        message, param = validation_message(list(exc.errors()))
        return error_response(request.url.path, ApiError(422, f"invalid request body: {message}", param=param,
                                                         code="invalid_request"))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = {404: f"no route {request.url.path}; see /docs for the routes",
                   405: f"{request.method} is not allowed on {request.url.path}"}.get(exc.status_code, str(exc.detail))
        code = "request_too_large" if exc.status_code == 413 else None
        return error_response(request.url.path, ApiError(exc.status_code, message, code=code,
                                                         headers=dict(exc.headers or {})))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_response(request.url.path, ApiError(500, "the server failed on this request; the error is in "
                                                              "its log", code="internal_error"))

    # --- OpenAI ------------------------------------------------------------------------------------
    @app.post("/v1/embeddings", openapi_extra=body_schema(EmbeddingsRequest))
    async def embeddings(request: Request) -> Response:
        """OpenAI embeddings: unit-length vectors (truncated to ``dimensions`` first), float or base64."""
        return await openai_embeddings(server, await request.body(), conn_of(request))

    @app.get("/v1/models")
    async def models() -> Response:
        return json_response({"object": "list", "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "embedlab", "source": entry.source,
             "capabilities": entry.capabilities, "dimensions": entry.dimensions, "max_input_tokens": entry.max_tokens}
            for name, entry in server.served.items()]})

    # --- Text Embeddings Inference -----------------------------------------------------------------
    @app.post("/embed", openapi_extra=body_schema(EmbedRequest))
    async def embed(request: Request) -> Response:
        """TEI embed: a list of vectors (normalized unless ``normalize`` is false)."""
        return await tei_embed(server, await request.body(), conn_of(request))

    @app.get("/info")
    async def info() -> Response:
        entry = server.served[server.default]
        return json_response({
            "model_id": entry.name, "model_sha": None, "model_dtype": "float32",
            "model_type": {"embedding": {"pooling": "mean"}} if entry.embeds else {"generation": {}},
            "max_concurrent_requests": server.settings.max_queue,
            # TEI's field is a number: a model with no token limit is bounded by the characters per input.
            "max_input_length": entry.max_tokens or server.settings.max_input_chars,
            "max_batch_tokens": server.settings.max_batch_tokens, "max_batch_requests": None,
            "max_client_batch_size": server.settings.max_inputs, "auto_truncate": False,
            "tokenization_workers": 1, "version": __version__, "models": list(server.served),
        })

    @app.get("/health")
    async def health() -> Response:
        return json_response({"status": "ok", "models": list(server.served)})

    @app.get("/metrics")
    async def metrics() -> Response:
        for name in server.served:
            waiting = server.batchers[name].depth if name in server.batchers else 0
            server.metrics.queue_depth.labels(name).set(waiting + server.pending[name])
        return Response(generate_latest(server.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # --- beyond the peers --------------------------------------------------------------------------
    @app.post("/v1/similar")
    async def similar(body: SimilarRequest, request: Request) -> Response:
        """The nearest words to mean(positive) - mean(negative), as gensim's ``most_similar``."""
        entry = server.model(conn_of(request), body.model, "similar")
        positive = [body.positive] if isinstance(body.positive, str) else body.positive
        negative = [body.negative] if isinstance(body.negative, str) else body.negative
        if not positive and not negative:
            raise ApiError(400, "give at least one word in 'positive' or 'negative'", param="positive")
        if not 0 < body.topn <= 1000:
            raise ApiError(400, f"topn must be in 1..1000, got {body.topn}", param="topn")
        kv = entry.model
        unknown = [w for w in positive + negative if w not in kv.key_to_index]
        if unknown:
            raise ApiError(404, f"not in {entry.name!r}'s vocabulary: {', '.join(map(repr, unknown[:10]))}",
                           param="positive" if unknown[0] in positive else "negative", code="unknown_word")
        pairs = await server.on_model(entry, lambda: kv.most_similar(positive, negative, topn=body.topn))
        return json_response({"object": "list", "model": entry.name,
                              "data": [{"word": w, "similarity": s} for w, s in pairs]})

    @app.post("/v1/decode")
    async def decode(body: DecodeRequest, request: Request) -> Response:
        """Sentence vectors (float lists, or base64 as /v1/embeddings gives them) back to sentences."""
        entry = server.model(conn_of(request), body.model, "decode")
        dim = entry.dimensions or 0
        if not body.vectors:
            raise ApiError(400, "'vectors' is empty", param="vectors")
        if len(body.vectors) > server.settings.max_inputs:
            raise ApiError(413, f"'vectors' has {len(body.vectors)} vectors; the limit is {server.settings.max_inputs}",
                           param="vectors", code="too_many_inputs")
        matrix = _vectors(body.vectors, dim)
        if body.max_words is not None and not 0 < body.max_words <= 1000:
            raise ApiError(400, f"max_words must be in 1..1000, got {body.max_words}", param="max_words")
        texts = await server.on_model(entry, lambda: entry.model.decode(matrix, max_words=body.max_words))
        return json_response({"object": "list", "model": entry.name,
                              "data": [{"index": i, "text": t} for i, t in enumerate(texts)]})

    @app.post("/v1/generate")
    async def generate(body: GenerateRequest, request: Request) -> Response:
        """A sampled continuation of ``prompt`` (the settings of ``embedlab generate``)."""
        entry = server.model(conn_of(request), body.model, "generate")
        if len(body.prompt) > server.settings.max_input_chars:
            raise ApiError(413, f"the prompt has {len(body.prompt)} characters; the limit is "
                                f"{server.settings.max_input_chars}", param="prompt", code="input_too_long")
        if body.max_tokens > server.settings.max_generate_tokens:
            raise ApiError(400, f"max_tokens is {body.max_tokens}; this server generates at most "
                                f"{server.settings.max_generate_tokens}", param="max_tokens")
        lm = entry.model
        for name in ("max_tokens", "temperature", "top_k", "top_p"):  # the library's rules, under the field names
            try:
                check_values({name: name}, USE_RULES, **{name: getattr(body, name)})
            except EmbedlabError as exc:
                raise ApiError(400, str(exc), param=name, code="invalid_value") from None

        def run() -> tuple[str, int, int]:  # all of it on the model's thread, tokenizer included
            ids = lm.generate_ids(body.prompt, max_tokens=body.max_tokens, temperature=body.temperature,
                                  top_k=body.top_k, top_p=body.top_p, seed=body.seed, stop_at_eos=body.stop_at_eos)
            return lm.tokenizer.decode(ids), entry.count_tokens([body.prompt])[0], len(ids)

        try:
            text, prompt_tokens, completion = await server.on_model(entry, run)
        except (EmbedlabError, ValueError) as exc:  # what the library refuses about these settings
            raise ApiError(400, str(exc), code="invalid_value") from None
        return json_response({"object": "text_completion", "model": entry.name, "text": text,
                              "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
                                        "total_tokens": prompt_tokens + completion}})

    hot = {"/v1/embeddings": partial(openai_embeddings, server), "/embed": partial(tei_embed, server)}
    app.add_middleware(Front, api_key=settings.api_key, max_body_bytes=settings.max_body_bytes,
                       metrics=server.metrics, routes=frozenset(str(getattr(r, "path", "")) for r in app.routes), hot=hot)
    return app


def conn_of(request: Request) -> Conn:
    """The request as a ``Conn``: the model a route uses lands in the scope's state, where ``Front`` reads it."""
    return Conn(request.receive, request.scope.setdefault("state", {}))


def body_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads its body itself (so /docs still shows it)."""
    return {"requestBody": {"required": True, "content": {JSON: {"schema": schema.model_json_schema()}}}}


def _vectors(given: list[list[float]] | list[str], dim: int) -> np.ndarray:
    """Float lists or base64 little-endian float32 strings -> (n, dim) finite float32."""
    if isinstance(given[0], str):
        try:
            raw = [base64.b64decode(s, validate=True) for s in given]
        except ValueError:
            raise ApiError(400, "'vectors' holds a string that is not base64", param="vectors") from None
        bad = next((i for i, r in enumerate(raw) if len(r) % 4), None)
        if bad is not None:
            raise ApiError(400, f"vector {bad} is {len(raw[bad])} bytes, not a whole number of float32 values",
                           param="vectors")
        rows = [np.frombuffer(r, dtype="<f4") for r in raw]
    else:
        rows = [np.asarray(v, dtype=np.float32) for v in given]
    bad = next((i for i, r in enumerate(rows) if r.shape != (dim,)), None)
    if bad is not None:
        raise ApiError(400, f"vector {bad} has {rows[bad].size} values; the model's vectors have {dim}", param="vectors")
    matrix = np.stack(rows)
    if not np.isfinite(matrix).all():
        raise ApiError(400, "'vectors' holds NaN or infinite values", param="vectors")
    return matrix
