"""Every class of bad request gets its status and a body in its protocol's shape (OpenAI's
``{"error": {message, type, param, code}}`` under /v1, TEI's ``{"error", "error_type"}`` elsewhere),
never a stack trace, and the server goes on serving."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from .servers import Running

pytestmark = pytest.mark.needs_data

E = "/v1/embeddings"
# (name, method, path, json body or raw bytes, status, OpenAI param or TEI error_type, words the message has)
CASES: list[tuple[str, str, str, Any, int, str | None, str]] = [
    ("token ids", "POST", E, {"input": [1, 2, 3]}, 400, "input", "token ids"),
    ("token id lists", "POST", E, {"input": [[1, 2], [3]]}, 400, "input", "token ids"),
    ("empty list", "POST", E, {"input": []}, 400, "input", "empty"),
    ("unknown model", "POST", E, {"input": "a", "model": "gpt-4"}, 404, "model", "not served"),
    ("dimensions 0", "POST", E, {"input": "a", "dimensions": 0}, 400, "dimensions", "1..300"),
    ("dimensions too big", "POST", E, {"input": "a", "dimensions": 301}, 400, "dimensions", "1..300"),
    ("too many inputs", "POST", E, {"input": ["a"] * 65}, 413, "input", "limit is 64"),
    ("input too long", "POST", E, {"input": ["ok", "x" * 2001]}, 413, "input", "input 1 has 2001 characters"),
    ("no input", "POST", E, {"model": "minilm"}, 422, "input", "input"),
    ("input a number", "POST", E, {"input": 5}, 422, "input", "input"),
    ("bad format", "POST", E, {"input": "a", "encoding_format": "bits"}, 422, "encoding_format", "encoding_format"),
    ("not json", "POST", E, b"{input: 'a'", 422, None, "not valid JSON"),
    ("not an object", "POST", E, b"[1, 2]", 422, None, "JSON object"),
    ("bad utf-8", "POST", E, b'{"input": "\xff\xfe"}', 422, None, "JSON"),
    ("a GET", "GET", E, None, 405, None, "GET is not allowed"),
    ("no route", "POST", "/v1/nothing", {"input": "a"}, 404, None, "no route"),
    ("similar on a sentence model", "POST", "/v1/similar", {"model": "minilm", "positive": ["a"]}, 400, "model",
     "does not do similar"),
    ("similar, unknown word", "POST", "/v1/similar", {"positive": ["zzzqqq"]}, 404, "positive", "vocabulary"),
    ("similar, nothing asked", "POST", "/v1/similar", {"positive": []}, 400, "positive", "at least one"),
    ("similar, topn 0", "POST", "/v1/similar", {"positive": "king", "topn": 0}, 400, "topn", "topn"),
    ("decode, wrong size", "POST", "/v1/decode", {"model": "ae", "vectors": [[0.5] * 3]}, 400, "vectors", "16"),
    ("decode, NaN", "POST", "/v1/decode", {"model": "ae", "vectors": [base64.b64encode(
        np.full(16, np.nan, "<f4").tobytes()).decode()]}, 400, "vectors", "NaN"),
    ("decode, not base64", "POST", "/v1/decode", {"model": "ae", "vectors": ["@@@"]}, 400, "vectors", "base64"),
    ("decode on a word model", "POST", "/v1/decode", {"vectors": [[0.5] * 300]}, 400, "model", "does not do decode"),
    ("generate, too many tokens", "POST", "/v1/generate", {"model": "lm", "max_tokens": 100000}, 400, "max_tokens",
     "at most 1024"),
    ("generate, negative temperature", "POST", "/v1/generate", {"model": "lm", "temperature": -1}, 400, "temperature",
     "temperature"),
    ("generate, seed past 64 bits", "POST", "/v1/generate", {"model": "lm", "seed": 2**64}, 422, "seed", "seed"),
    ("generate, infinite temperature", "POST", "/v1/generate", b'{"model": "lm", "temperature": Infinity}', 422,
     "temperature", "temperature"),
    ("decode, a partial float", "POST", "/v1/decode", {"model": "ae", "vectors": [base64.b64encode(b"123456").decode()]},
     400, "vectors", "not a whole number"),
    ("generate, top_p 0", "POST", "/v1/generate", {"model": "lm", "top_p": 0}, 400, "top_p", "top_p must be"),
    ("tei: token ids", "POST", "/embed", {"inputs": [1, 2]}, 400, "Validation", "token ids"),
    ("tei: too many", "POST", "/embed", {"inputs": ["a"] * 65}, 413, "Validation", "limit is 64"),
    ("tei: left truncation", "POST", "/embed", {"inputs": "a", "truncation_direction": "Left"}, 422, "Tokenizer",
     "Left"),
    ("tei: bad json", "POST", "/embed", b"{", 422, "Tokenizer", "not valid JSON"),
    ("tei: no route", "GET", "/nothing", None, 404, "NotFound", "no route"),
]


@pytest.fixture(scope="module")
def http(server: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def send(http: httpx.Client, method: str, path: str, body: Any) -> httpx.Response:
    if isinstance(body, bytes):
        return http.request(method, path, content=body, headers={"content-type": "application/json"})
    return http.request(method, path, json=body)


@pytest.mark.parametrize(("name", "method", "path", "body", "status", "param", "words"), CASES, ids=[c[0] for c in CASES])
def test_refusal(http: httpx.Client, name: str, method: str, path: str, body: Any, status: int, param: str | None,
                 words: str) -> None:
    r = send(http, method, path, body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    assert "Traceback" not in r.text and 'File "' not in r.text
    got = r.json()
    if path.startswith("/v1/"):
        assert set(got) == {"error"} and set(got["error"]) == {"message", "type", "param", "code"}
        assert got["error"]["type"] == "invalid_request_error"
        assert words in got["error"]["message"]
        if param is not None:
            assert got["error"]["param"] == param
    else:
        assert set(got) == {"error", "error_type"} and got["error_type"] == param
        assert words in got["error"]
    assert http.get("/health").status_code == 200


def test_a_body_over_the_limit_is_413_declared_or_streamed(http: httpx.Client) -> None:
    big = b'{"input": "' + b"a" * 400_000 + b'"}'
    r = http.post(E, content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while the body streams in
        yield b'{"input": "'
        for _ in range(40):
            yield b"a" * 10_000
        yield b'"}'

    for path in (E, "/v1/similar"):
        r = http.post(path, content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413, r.text
        assert "limit of 300000 bytes" in r.text
    assert http.post(E, json={"input": "still serving"}).status_code == 200


def test_the_openai_client_raises_its_own_error_types(server: Running) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.NotFoundError) as err:
        client.embeddings.create(input="a", model="nope")
    assert err.value.code == "model_not_found" and "not served" in err.value.message
    with pytest.raises(openai.BadRequestError) as bad:
        client.embeddings.create(input=[[1, 2]], model="googlenews-13k")
    assert bad.value.param == "input"
