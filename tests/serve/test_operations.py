"""The server under load and in operation: 1,000 mixed requests, a full queue (503 + Retry-After), a
client that leaves, the API key, graceful shutdown, several worker processes."""

from __future__ import annotations

import asyncio
import random
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from embedlab.static.embeddings import StaticEmbeddings

from .servers import Running, start_server

pytestmark = pytest.mark.needs_data
LONG = " ".join(["the committee met again on tuesday to discuss the budget for next year"] * 8)  # ~100 words


def metric(url: str, prefix: str, headers: dict[str, str] | None = None) -> float:
    r = httpx.get(f"{url}/metrics", headers=headers)
    assert r.status_code == 200, r.text
    lines = [line for line in r.text.splitlines() if line.startswith(prefix)]
    return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0


def test_a_thousand_mixed_requests_leave_the_server_healthy(server: Running, static: StaticEmbeddings) -> None:
    rng = random.Random(0)
    words = static.index_to_key[:2000]
    kinds: list[tuple[str, dict[str, Any], set[int]]] = []
    for _ in range(1000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 30)))
        kinds.append(rng.choice([
            ("/v1/embeddings", {"input": [text] * rng.randint(1, 8), "encoding_format": rng.choice(["float", "base64"])}, {200}),
            ("/v1/embeddings", {"input": text, "model": "minilm", "dimensions": rng.randint(1, 384)}, {200}),
            ("/embed", {"inputs": [text, text[:5]], "normalize": rng.random() < 0.5}, {200}),
            ("/v1/embeddings", {"input": [rng.randint(0, 9)]}, {400}),
            ("/v1/embeddings", {"input": ["x"] * 100}, {413}),
            ("/v1/embeddings", {"input": text, "model": "nope"}, {404}),
            ("/v1/similar", {"positive": [rng.choice(words)], "topn": 3}, {200}),
            ("/v1/generate", {"model": "lm", "prompt": text[:20], "max_tokens": 5, "seed": 1}, {200}),
            ("/v1/embeddings", {"input": text, "dimensions": -1}, {400}),
        ]))

    async def run() -> list[tuple[int, set[int], str]]:
        results: list[tuple[int, set[int], str]] = []
        queue = list(kinds)
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            async def user() -> None:
                while queue:
                    path, body, ok = queue.pop()
                    r = await client.post(path, json=body)
                    results.append((r.status_code, ok, r.text[:200]))

            await asyncio.wait_for(asyncio.gather(*(user() for _ in range(16))), timeout=240)
        return results

    before_500 = metric(server.url, 'embedlab_requests_total{model="googlenews-13k",route="/v1/embeddings",status="500"}')
    started = time.time()
    results = asyncio.run(run())
    assert len(results) == 1000
    wrong = [(status, ok, text) for status, ok, text in results if status not in ok]
    assert not wrong, wrong[:5]
    assert all("Traceback" not in text for _, _, text in results)
    assert time.time() - started < 240
    assert httpx.get(f"{server.url}/health").status_code == 200
    r = httpx.post(f"{server.url}/v1/embeddings", json={"input": ["the river"]}).json()
    expected = static.encode(["the river"])[0]
    np.testing.assert_allclose(r["data"][0]["embedding"], expected / np.linalg.norm(expected), atol=1e-6)
    after_500 = metric(server.url, 'embedlab_requests_total{model="googlenews-13k",route="/v1/embeddings",status="500"}')
    assert after_500 == before_500 == 0


@pytest.fixture(scope="module")
def small_queue() -> Iterator[Running]:
    """minilm with room for two waiting requests, behind an API key from the environment."""
    running = start_server("minilm", "--max-queue", "2", env={"EMBEDLAB_API_KEY": "sekret"})
    yield running
    running.stop()


AUTH = {"Authorization": "Bearer sekret"}


def test_the_api_key(small_queue: Running) -> None:
    url = f"{small_queue.url}/v1/embeddings"
    missing = httpx.post(url, json={"input": "a"})
    assert missing.status_code == 401 and "Bearer" in missing.json()["error"]["message"]
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = httpx.post(url, json={"input": "a"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    assert httpx.get(f"{small_queue.url}/metrics").status_code == 401
    assert httpx.get(f"{small_queue.url}/health").status_code == 200  # probes need no key
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{small_queue.url}/v1", api_key="sekret", max_retries=0)
    assert len(client.embeddings.create(input="a", model="minilm").data[0].embedding) == 384
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{small_queue.url}/v1", api_key="nope", max_retries=0).embeddings.create(input="a", model="minilm")


def test_a_full_queue_answers_503_with_retry_after(small_queue: Running) -> None:
    body = {"input": [LONG] * 48}
    results: list[httpx.Response] = []

    def post() -> None:
        results.append(httpx.post(f"{small_queue.url}/v1/embeddings", json=body, headers=AUTH, timeout=120))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    busy = [r for r in results if r.status_code == 503]
    assert busy, [r.status_code for r in results]
    assert all(r.status_code in (200, 503) for r in results)
    assert busy[0].headers["retry-after"] == "1" and busy[0].json()["error"]["code"] == "overloaded"
    assert httpx.post(f"{small_queue.url}/v1/embeddings", json={"input": "a"}, headers=AUTH).status_code == 200


def raw_post(url: str, body: bytes) -> socket.socket:
    """A POST /v1/embeddings sent whole on a new connection (no client library between: the server has
    it when this returns)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer sekret\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    return sock


def test_a_client_that_leaves_leaves_no_work_behind(small_queue: Running) -> None:
    url = small_queue.url
    dropped = metric(url, 'embedlab_dropped_requests_total{model="minilm"}', AUTH)
    inputs = metric(url, 'embedlab_batch_inputs_sum{model="minilm"}', AUTH)
    busy = raw_post(url, ('{"input": [' + ", ".join(['"' + LONG + '"'] * 48) + "]}").encode())
    time.sleep(0.3)  # the long request is encoding (about a second)
    leaving = raw_post(url, b'{"input": ["one", "two", "three", "four", "five", "six", "seven"]}')
    time.sleep(0.3)  # it waits in the queue; then its client goes
    leaving.close()
    busy.settimeout(120)
    assert busy.recv(12).startswith(b"HTTP/1.1 200")
    busy.close()
    time.sleep(0.3)
    assert metric(url, 'embedlab_dropped_requests_total{model="minilm"}', AUTH) == dropped + 1
    assert metric(url, 'embedlab_batch_inputs_sum{model="minilm"}', AUTH) == inputs + 48  # the 7 were never encoded


def test_shutdown_finishes_the_requests_in_flight(static: StaticEmbeddings) -> None:
    running = start_server("minilm")
    got: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: got.append(httpx.post(f"{running.url}/v1/embeddings",
                                                                   json={"input": [LONG] * 48}, timeout=120)))
    thread.start()
    time.sleep(0.3)
    started = time.time()
    status, log = running.stop()
    thread.join()
    assert got and got[0].status_code == 200 and len(got[0].json()["data"]) == 48
    assert status == -signal.SIGTERM and "Traceback" not in log, log
    assert time.time() - started < 60


def test_several_worker_processes(static: StaticEmbeddings) -> None:
    running = start_server("googlenews-13k", "--workers", "2")
    try:
        for _ in range(4):
            r = httpx.post(f"{running.url}/v1/embeddings", json={"input": "the river"})
            expected = static.encode(["the river"])[0]
            np.testing.assert_allclose(r.json()["data"][0]["embedding"], expected / np.linalg.norm(expected), atol=1e-6)
    finally:
        status, log = running.stop()
    assert "Traceback" not in log, log
