"""Over real HTTP: the official openai client, TEI's /embed, /info, /health, /v1/models, /metrics, and
the routes beyond the peers, against the same models in this process."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import numpy as np
import pytest

from embedlab.static.embeddings import StaticEmbeddings

from .servers import Running

pytestmark = pytest.mark.needs_data
openai = pytest.importorskip("openai")

SENTENCES = ["The river flows to the sea.", "A quick brown fox jumps over the lazy dog!", "king", "",
             "Café déjà vu – naïve façade 😀"]


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def client(server: Running) -> Any:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)


@pytest.mark.parametrize("encoding_format", [None, "float", "base64"])
@pytest.mark.parametrize("name", ["googlenews-13k", "minilm"])
def test_openai_client_gets_the_in_process_vectors(server: Running, static: StaticEmbeddings, minilm: Any,
                                                   name: str, encoding_format: str | None) -> None:
    model = static if name == "googlenews-13k" else minilm
    kwargs = {} if encoding_format is None else {"encoding_format": encoding_format}  # None: the client's default (base64)
    got = client(server).embeddings.create(input=SENTENCES, model=name, **kwargs)
    if encoding_format == "base64":  # asked for explicitly, the client hands over the strings as they came
        vectors = np.stack([np.frombuffer(base64.b64decode(d.embedding), dtype="<f4") for d in got.data])
    else:
        vectors = np.array([d.embedding for d in got.data], dtype=np.float32)
    expected = unit(model.encode(SENTENCES))  # OpenAI's vectors have unit length (a zero vector stays zero)
    np.testing.assert_allclose(vectors, expected, atol=1e-6)
    assert [d.index for d in got.data] == list(range(len(SENTENCES)))
    assert got.model == name


def test_openai_usage_counts_the_models_tokens(server: Running, static: StaticEmbeddings, minilm: Any) -> None:
    got = client(server).embeddings.create(input=SENTENCES, model="googlenews-13k")
    words = sum(len(static.tokenize(s)) for s in SENTENCES)
    assert got.usage.prompt_tokens == got.usage.total_tokens == words
    # minilm: its WordPiece tokens with [CLS] and [SEP], counted by the tokenizer itself.
    tokenizer = minilm.model.tokenizer
    got = client(server).embeddings.create(input="hello world", model="minilm")
    assert got.usage.prompt_tokens == len(tokenizer("hello world")["input_ids"]) == 4


@pytest.mark.parametrize("name", ["googlenews-13k", "minilm"])
def test_dimensions_truncate_then_renormalize(server: Running, static: StaticEmbeddings, minilm: Any, name: str) -> None:
    model = static if name == "googlenews-13k" else minilm
    got = client(server).embeddings.create(input=SENTENCES[:2], model=name, dimensions=64)
    vectors = np.array([d.embedding for d in got.data], dtype=np.float32)
    np.testing.assert_allclose(vectors, unit(model.encode(SENTENCES[:2])[:, :64]), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_single_string_and_the_default_model(server: Running, static: StaticEmbeddings) -> None:
    # No model named: the first one served (googlenews-13k).
    r = httpx.post(f"{server.url}/v1/embeddings", json={"input": "the king"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["object"] == "list" and body["model"] == "googlenews-13k" and len(body["data"]) == 1
    np.testing.assert_allclose(body["data"][0]["embedding"], unit(static.encode(["the king"]))[0], atol=1e-6)


@pytest.mark.parametrize("name", ["googlenews-13k", "minilm"])
def test_tei_embed(server: Running, static: StaticEmbeddings, minilm: Any, name: str) -> None:
    model = static if name == "googlenews-13k" else minilm
    raw = model.encode(SENTENCES)
    r = httpx.post(f"{server.url}/embed", json={"inputs": SENTENCES, "model": name})
    assert r.status_code == 200
    np.testing.assert_allclose(np.array(r.json(), dtype=np.float32), unit(raw), atol=1e-6)
    r = httpx.post(f"{server.url}/embed", json={"inputs": SENTENCES, "model": name, "normalize": False})
    np.testing.assert_allclose(np.array(r.json(), dtype=np.float32), raw, atol=1e-6)
    r = httpx.post(f"{server.url}/embed", json={"inputs": SENTENCES[0], "model": name, "dimensions": 8})
    np.testing.assert_allclose(np.array(r.json(), dtype=np.float32), unit(raw[:1, :8]), atol=1e-6)


def test_tei_refuses_an_input_longer_than_the_model_reads_unless_truncate(server: Running, minilm: Any) -> None:
    long = "word " * 400  # 402 WordPiece tokens; minilm reads 256
    r = httpx.post(f"{server.url}/embed", json={"inputs": long, "model": "minilm"})
    assert r.status_code == 413
    assert r.json()["error_type"] == "Validation" and "truncate" in r.json()["error"]
    r = httpx.post(f"{server.url}/embed", json={"inputs": long, "model": "minilm", "truncate": True})
    assert r.status_code == 200
    np.testing.assert_allclose(np.array(r.json(), dtype=np.float32), unit(minilm.encode([long])), atol=1e-6)
    # OpenAI truncates as sentence-transformers does, and counts the tokens read.
    r = httpx.post(f"{server.url}/v1/embeddings", json={"input": long, "model": "minilm"})
    assert r.status_code == 200 and r.json()["usage"]["prompt_tokens"] == 256


def test_info_health_models(server: Running) -> None:
    info = httpx.get(f"{server.url}/info").json()
    assert info["model_id"] == "googlenews-13k" and info["max_client_batch_size"] == 64
    assert info["max_batch_tokens"] == 16384 and info["models"] == ["googlenews-13k", "minilm", "lm", "ae"]
    assert httpx.get(f"{server.url}/health").status_code == 200
    listed = client(server).models.list()
    assert [m.id for m in listed.data] == ["googlenews-13k", "minilm", "lm", "ae"]
    by_id = {m["id"]: m for m in httpx.get(f"{server.url}/v1/models").json()["data"]}
    assert by_id["googlenews-13k"]["capabilities"] == ["embeddings", "similar"]
    assert by_id["googlenews-13k"]["dimensions"] == 300 and by_id["minilm"]["dimensions"] == 384
    assert by_id["lm"]["capabilities"] == ["generate"]
    assert by_id["ae"]["capabilities"] == ["embeddings", "decode"]


def test_similar_words_match_gensim_style_most_similar(server: Running, static: StaticEmbeddings) -> None:
    body = {"positive": ["king", "woman"], "negative": ["man"], "topn": 5}
    r = httpx.post(f"{server.url}/v1/similar", json=body)
    assert r.status_code == 200
    got = [(d["word"], d["similarity"]) for d in r.json()["data"]]
    expected = static.most_similar(["king", "woman"], ["man"], topn=5)
    assert [w for w, _ in got] == [w for w, _ in expected] and got[0][0] == "queen"
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], atol=1e-6)
    # By hand for one word: cosine against every other word.
    one = httpx.post(f"{server.url}/v1/similar", json={"positive": "river", "topn": 1}).json()["data"][0]
    u = static.vectors / np.linalg.norm(static.vectors, axis=1, keepdims=True)
    scores = u @ u[static.key_to_index["river"]]
    scores[static.key_to_index["river"]] = -np.inf
    assert one["word"] == static.index_to_key[int(np.argmax(scores))]
    assert one["similarity"] == pytest.approx(float(np.max(scores)), abs=1e-5)


def test_decode_inverts_what_the_autoencoder_encodes(server: Running, tiny_models: dict[str, Any]) -> None:
    import embedlab

    ae = embedlab.load(tiny_models["ae"])
    sentences = ["the king", "a ship on the sea ."]
    for fmt in ("float", "base64"):
        emb = httpx.post(f"{server.url}/v1/embeddings", json={"input": sentences, "model": "ae",
                                                              "encoding_format": fmt}).json()
        # /v1/embeddings gives unit vectors; decoding needs the raw ones, so decode in-process vectors too.
        assert len(emb["data"]) == 2
    raw = ae.encode(sentences)
    r = httpx.post(f"{server.url}/v1/decode", json={"model": "ae", "vectors": raw.tolist(), "max_words": 12})
    assert r.status_code == 200
    assert [d["text"] for d in r.json()["data"]] == ae.decode(raw, max_words=12)
    b64 = [base64.b64encode(row.astype("<f4").tobytes()).decode() for row in raw]
    r = httpx.post(f"{server.url}/v1/decode", json={"model": "ae", "vectors": b64, "max_words": 12})
    assert [d["text"] for d in r.json()["data"]] == ae.decode(raw, max_words=12)


def test_generate_is_the_models_own_sampling(server: Running, tiny_models: dict[str, Any]) -> None:
    import embedlab

    lm = embedlab.load(tiny_models["lm"])
    body = {"model": "lm", "prompt": "the", "max_tokens": 12, "temperature": 0.8, "top_k": 5, "seed": 3}
    r = httpx.post(f"{server.url}/v1/generate", json=body)
    assert r.status_code == 200
    got = r.json()
    assert got["text"] == lm.generate("the", max_tokens=12, temperature=0.8, top_k=5, seed=3)
    assert got["usage"]["completion_tokens"] == 12 and got["usage"]["prompt_tokens"] == 1


def test_metrics_count_requests_batches_and_errors(server: Running) -> None:
    httpx.post(f"{server.url}/v1/embeddings", json={"input": ["a", "b", "c"], "model": "googlenews-13k"})
    httpx.post(f"{server.url}/v1/embeddings", json={"input": [1, 2]})
    text = httpx.get(f"{server.url}/metrics").text
    assert httpx.get(f"{server.url}/metrics").headers["content-type"].startswith("text/plain")

    def value(prefix: str) -> float:
        lines = [line for line in text.splitlines() if line.startswith(prefix)]
        assert lines, f"no metric {prefix}"
        return float(lines[0].rsplit(" ", 1)[1])

    assert value('embedlab_requests_total{model="googlenews-13k",route="/v1/embeddings",status="200"}') >= 1
    assert value('embedlab_request_errors_total{model="googlenews-13k",route="/v1/embeddings",status="400"}') >= 1
    assert value('embedlab_batch_inputs_count{model="googlenews-13k"}') >= 1
    assert value('embedlab_batch_inputs_sum{model="googlenews-13k"}') >= 3
    assert value('embedlab_request_latency_seconds_count{model="googlenews-13k",route="/v1/embeddings"}') >= 2
    assert value('embedlab_queue_depth{model="googlenews-13k"}') == 0
    assert "embedlab_dropped_requests_total" in text
