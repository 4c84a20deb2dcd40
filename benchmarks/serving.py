"""Serving: ``embedlab serve`` against the server a user would otherwise write, and against in-process encode.

    python3 dev.py bench serving            # about 10 minutes on 2 cores
    python3 dev.py bench serving --quick    # a smoke run (short windows, one repeat)

For a static model (the googlenews-13k word2vec vectors, 300-d) and for ``minilm`` (all-MiniLM-L6-v2):
sentences/s and p50/p99 latency at concurrency 1, 16 and 64, with 1 and 32 real en-mix sentences per
request, each request an OpenAI ``/v1/embeddings`` body as the official client sends it (base64).

- **embedlab**: ``embedlab serve`` (dynamic batching, base64 answers), started as a subprocess.
- **plain**: the FastAPI server a user writes when the library has none: a ``def`` route that calls
  sentence-transformers' ``SentenceTransformer.encode`` (minilm) or model2vec's ``StaticModel.encode``
  (the same vectors exported to a model2vec folder) once per request and answers float lists; uvicorn
  with the same uvloop/httptools.
- **in-process**: ``encode`` of the same sentences in batches of 32, no HTTP (the ceiling).

Every measurement is a bounded window (seconds and requests) after a warm-up, on loopback; embedlab
and plain alternate (A B B A ...) and the median window counts. The load client is a small
keep-alive HTTP/1.1 client on asyncio (one connection per concurrent user), the same for both
servers. RSS: the embedlab static server's resident memory after 1,000 and after 10,000 mixed requests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import cpu_model, versions, write_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = (1, 16, 64)
PER_REQUEST = (1, 32)


# ------------------------------------------------------------------------------------ the load client
class Load:
    """Keep-alive HTTP/1.1 POSTs from ``concurrency`` connections for ``seconds`` (or ``max_requests``)."""

    def __init__(self, port: int, path: str, bodies: list[bytes], headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.path = path
        self.bodies = bodies
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{extra}"
                     "Content-Length: ").encode()

    async def _user(self, deadline: float, budget: list[int], latencies: list[float], statuses: dict[int, int],
                    offset: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        i = offset
        try:
            while time.perf_counter() < deadline and budget[0] > 0:
                budget[0] -= 1
                body = self.bodies[i % len(self.bodies)]
                i += 1
                started = time.perf_counter()
                writer.write(self.head + str(len(body)).encode() + b"\r\n\r\n" + body)
                status = int((await reader.readline()).split()[1])
                length = 0
                while (line := await reader.readline()) != b"\r\n":
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    def run(self, concurrency: int, seconds: float, max_requests: int) -> dict[str, Any]:
        async def main() -> tuple[float, list[float], dict[int, int]]:
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            budget = [max_requests]
            started = time.perf_counter()
            await asyncio.gather(*(self._user(started + seconds, budget, latencies, statuses, k * 7919)
                                   for k in range(concurrency)))
            return time.perf_counter() - started, latencies, statuses

        elapsed, latencies, statuses = asyncio.run(main())
        latencies.sort()
        n = len(latencies)
        return {"requests": n, "seconds": elapsed, "statuses": statuses,
                "p50_ms": 1000 * latencies[n // 2] if n else None,
                "p99_ms": 1000 * latencies[min(n - 1, int(0.99 * n))] if n else None}


# ------------------------------------------------------------------------------------ servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server on port {port} did not answer /health within {timeout} s")


@contextmanager
def server(cmd: list[str], port: int, threads: int) -> Iterator[subprocess.Popen[bytes]]:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), TQDM_DISABLE="1",
               TOKENIZERS_PARALLELISM="false")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(port, proc)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


PLAIN_SERVER = '''
import sys
from fastapi import FastAPI
from pydantic import BaseModel
import uvicorn

kind, path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kind == "st":
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(path, device="cpu")
else:
    from model2vec import StaticModel
    model = StaticModel.from_pretrained(path)
app = FastAPI()

class Req(BaseModel):
    input: str | list[str]
    model: str | None = None
    encoding_format: str | None = None

@app.get("/health")
def health():
    return {"status": "ok"}

@app.post("/v1/embeddings")
def embeddings(req: Req):
    texts = [req.input] if isinstance(req.input, str) else req.input
    vectors = model.encode(texts)
    return {"object": "list", "model": kind,
            "data": [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": 0, "total_tokens": 0}}

uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
'''


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


# ------------------------------------------------------------------------------------ the run
def sentences(count: int) -> list[str]:
    from embedlab.data.corpus import resolve_corpus

    stream, _ = resolve_corpus("en-mix")
    out = []
    for line in stream:
        line = line.strip()
        if 3 <= len(line.split()) <= 40:
            out.append(line)
            if len(out) == count:
                break
    random.Random(0).shuffle(out)
    return out


def bodies(texts: list[str], per_request: int, model: str) -> list[bytes]:
    import orjson

    return [orjson.dumps({"input": texts[i:i + per_request] if per_request > 1 else texts[i], "model": model,
                          "encoding_format": "base64"})
            for i in range(0, len(texts) - per_request + 1, per_request)]


def inprocess(model: Any, texts: list[str], repeats: int) -> dict[str, Any]:
    model.encode(texts[:256], batch_size=32)
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        model.encode(texts, batch_size=32)
        rates.append(len(texts) / (time.perf_counter() - started))
    return {"sentences_per_s": statistics.median(rates), "min": min(rates), "max": max(rates), "sentences": len(texts)}


def measure(model_key: str, name: str, ports: dict[str, int], texts: list[str], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    seconds = args.seconds * (2 if model_key == "minilm" else 1)
    for per in PER_REQUEST:
        loads = {"embedlab": Load(ports["embedlab"], "/v1/embeddings", bodies(texts, per, name)),
                 "plain": Load(ports["plain"], "/v1/embeddings", bodies(texts, per, name))}
        for conc in CONCURRENCY:
            runs: dict[str, list[dict[str, Any]]] = {"embedlab": [], "plain": []}
            for load in loads.values():
                load.run(conc, 0.5, 10_000)  # warm-up
            for rep in range(args.repeats):
                order = ("embedlab", "plain") if rep % 2 == 0 else ("plain", "embedlab")
                for who in order:
                    r = loads[who].run(conc, seconds, args.max_requests)
                    r["sentences_per_s"] = r["requests"] * per / r["seconds"]
                    runs[who].append(r)
            cell = {}
            for who, rs in runs.items():
                rates = [r["sentences_per_s"] for r in rs]
                mid = sorted(rs, key=lambda r: r["sentences_per_s"])[len(rs) // 2]
                bad = sum(n for r in rs for s, n in r["statuses"].items() if s != 200)
                cell[who] = {"sentences_per_s": round(statistics.median(rates), 1), "min": round(min(rates), 1),
                             "max": round(max(rates), 1), "p50_ms": round(mid["p50_ms"], 2),
                             "p99_ms": round(mid["p99_ms"], 2), "non_200": bad,
                             "requests": [r["requests"] for r in rs]}
            cell["ratio"] = round(cell["embedlab"]["sentences_per_s"] / cell["plain"]["sentences_per_s"], 2)
            out[f"c{conc}_x{per}"] = cell
            print(f"{model_key} c{conc} x{per}: embedlab {cell['embedlab']['sentences_per_s']:.0f}/s "
                  f"p99 {cell['embedlab']['p99_ms']:.1f} ms, plain {cell['plain']['sentences_per_s']:.0f}/s "
                  f"p99 {cell['plain']['p99_ms']:.1f} ms, x{cell['ratio']}", flush=True)
    return out


def rss_run(port: int, pid: int, texts: list[str], name: str) -> dict[str, Any]:
    """1,000 then 9,000 more mixed requests (1 or 32 sentences, float or base64, some refused)."""
    import orjson

    rng = random.Random(1)
    mixed = []
    for k in range(500):
        per = rng.choice((1, 1, 4, 32))
        start = rng.randrange(0, len(texts) - per)
        body: dict[str, Any] = {"input": texts[start:start + per], "model": name,
                                "encoding_format": rng.choice(("float", "base64"))}
        if k % 25 == 0:
            body["dimensions"] = 100000  # refused (400)
        if k % 50 == 1:
            body["input"] = [1, 2, 3]  # refused (400)
        mixed.append(orjson.dumps(body))
    load = Load(port, "/v1/embeddings", mixed)
    first = load.run(16, 600, 1000)
    after_1k = rss_mb(pid)
    second = load.run(16, 1200, 9000)
    after_10k = rss_mb(pid)
    return {"rss_mb_after_1000": round(after_1k, 1), "rss_mb_after_10000": round(after_10k, 1),
            "growth": round(after_10k / after_1k - 1, 4), "requests": first["requests"] + second["requests"],
            "statuses": {str(k): first["statuses"].get(k, 0) + second["statuses"].get(k, 0)
                         for k in set(first["statuses"]) | set(second["statuses"])}}


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    import embedlab
    from embedlab.paths import embedlab_home

    work = embedlab_home() / "bench" / "serving"
    work.mkdir(parents=True, exist_ok=True)
    texts = sentences(args.sentences)
    static = embedlab.load("googlenews-13k")
    m2v_folder = work / "googlenews-13k-model2vec"
    if not (m2v_folder / "config.json").exists():
        static.save_model2vec(m2v_folder, normalize=False)
    minilm = embedlab.load("minilm")
    from embedlab.teachers.sentence_transformer import resolve_encoder_path

    results: dict[str, Any] = {"inprocess": {}, "served": {}}
    models = {"static": ("googlenews-13k", ["m2v", str(m2v_folder)], static),
              "minilm": ("minilm", ["st", resolve_encoder_path("minilm")], minilm)}
    for key, (name, plain_args, model) in models.items():
        torch.set_num_threads(args.threads)
        results["inprocess"][key] = inprocess(model, texts if key == "static" else texts[:2048], args.repeats)
        print(f"{key} in-process: {results['inprocess'][key]['sentences_per_s']:.0f} sentences/s", flush=True)
        ports = {"embedlab": free_port(), "plain": free_port()}
        ours = [sys.executable, "-m", "embedlab", "-q", "serve", name, "--port", str(ports["embedlab"])]
        plain = [sys.executable, "-c", PLAIN_SERVER, *plain_args, str(ports["plain"])]
        with server(ours, ports["embedlab"], args.threads) as proc, server(plain, ports["plain"], args.threads):
            results["served"][key] = measure(key, name, ports, texts, args)
            if key == "static":
                results["rss"] = rss_run(ports["embedlab"], proc.pid, texts, name)
                print(f"rss: {results['rss']}", flush=True)
    return results


def summary(results: dict[str, Any]) -> dict[str, Any]:
    served, inproc = results["served"], results["inprocess"]
    best32 = max(served["static"][f"c{c}_x32"]["embedlab"]["sentences_per_s"] for c in CONCURRENCY)
    return {
        "static_vs_plain_c64": served["static"]["c64_x1"]["ratio"],
        "minilm_vs_plain_c64": served["minilm"]["c64_x1"]["ratio"],
        "static_fraction_of_inprocess": round(best32 / inproc["static"]["sentences_per_s"], 3),
        "static_sentences_per_s": best32,
        "minilm_sentences_per_s": max(served["minilm"][f"c{c}_x32"]["embedlab"]["sentences_per_s"] for c in CONCURRENCY),
        "p99_ms_c1_static": served["static"]["c1_x1"]["embedlab"]["p99_ms"],
        "rss_growth": results["rss"]["growth"],
    }


def render_markdown(r: dict[str, Any]) -> str:
    s = r["summary"]
    lines = ["# Serving: embedlab serve vs a plain FastAPI server vs in-process encode", "",
             f"Machine: {r['machine']['cpu']}, {r['machine']['cores']} cores; server and load client share it; "
             f"{r['settings']['seconds']} s windows (minilm twice that), {r['settings']['repeats']} interleaved repeats, "
             "median shown with [min-max].", "",
             "| model | per request | concurrency | embedlab sentences/s | p50 / p99 ms | plain sentences/s | "
             "p50 / p99 ms | embedlab / plain |", "|---|---|---|---|---|---|---|---|"]
    for key in ("static", "minilm"):
        for per in PER_REQUEST:
            for conc in CONCURRENCY:
                c = r["served"][key][f"c{conc}_x{per}"]
                e, p = c["embedlab"], c["plain"]
                lines.append(f"| {key} | {per} | {conc} | {e['sentences_per_s']:.0f} [{e['min']:.0f}-{e['max']:.0f}] | "
                             f"{e['p50_ms']:.1f} / {e['p99_ms']:.1f} | {p['sentences_per_s']:.0f} [{p['min']:.0f}-"
                             f"{p['max']:.0f}] | {p['p50_ms']:.1f} / {p['p99_ms']:.1f} | **{c['ratio']}x** |")
    lines += ["", "| model | in-process sentences/s (batches of 32) | best served, 32 per request | fraction |",
              "|---|---|---|---|"]
    for key in ("static", "minilm"):
        best = max(r["served"][key][f"c{c}_x32"]["embedlab"]["sentences_per_s"] for c in CONCURRENCY)
        ip = r["inprocess"][key]["sentences_per_s"]
        lines.append(f"| {key} | {ip:.0f} | {best:.0f} | {best / ip:.2f} |")
    rss = r["rss"]
    lines += ["", f"RSS of the embedlab static server: {rss['rss_mb_after_1000']} MB after 1,000 requests, "
              f"{rss['rss_mb_after_10000']} MB after 10,000 (growth {100 * rss['growth']:.1f}%; statuses {rss['statuses']}).",
              "", "| summary | value | target |", "|---|---|---|",
              f"| static_vs_plain_c64 | {s['static_vs_plain_c64']} | >= 3 |",
              f"| minilm_vs_plain_c64 | {s['minilm_vs_plain_c64']} | >= 3 |",
              f"| static_fraction_of_inprocess | {s['static_fraction_of_inprocess']} | >= 0.4 |",
              f"| static_sentences_per_s | {s['static_sentences_per_s']} | |",
              f"| minilm_sentences_per_s | {s['minilm_sentences_per_s']} | |",
              f"| p99_ms_c1_static | {s['p99_ms_c1_static']} | |",
              f"| rss_growth | {s['rss_growth']} | <= 0.10 |", "",
              "![throughput and latency](serving.png)", "", f"Reproduce: `{r['command']}`"]
    return "\n".join(lines) + "\n"


def plot(r: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for col, key in enumerate(("static", "minilm")):
        for per, style in zip(PER_REQUEST, ("-", "--"), strict=True):
            for who, color in (("embedlab", "tab:blue"), ("plain", "tab:orange")):
                cells = [r["served"][key][f"c{c}_x{per}"][who] for c in CONCURRENCY]
                axes[0][col].plot(CONCURRENCY, [c["sentences_per_s"] for c in cells], style, color=color, marker="o",
                                  label=f"{who}, {per}/request")
                axes[1][col].plot(CONCURRENCY, [c["p99_ms"] for c in cells], style, color=color, marker="o",
                                  label=f"{who}, {per}/request")
        axes[0][col].axhline(r["inprocess"][key]["sentences_per_s"], color="gray", linestyle=":", label="in-process")
        axes[0][col].set_title(f"{key}: sentences/s")
        axes[1][col].set_title(f"{key}: p99 latency (ms)")
        for row in (0, 1):
            axes[row][col].set_xscale("log")
            axes[row][col].set_yscale("log")
            axes[row][col].set_xticks(CONCURRENCY, [str(c) for c in CONCURRENCY])
            axes[row][col].set_xlabel("concurrent clients")
            axes[row][col].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--threads", type=int, default=2, help="torch threads in each server and in-process")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one measured window (minilm: twice)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved windows per cell")
    parser.add_argument("--max-requests", type=int, default=50_000, help="requests per window at most")
    parser.add_argument("--sentences", type=int, default=20_000, help="en-mix sentences used")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 s windows, one repeat")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.repeats, args.sentences = 1.0, 1, 4000
    started = time.time()
    results = run(args)
    results["summary"] = summary(results)
    results["settings"] = {k: v for k, v in vars(args).items() if k != "out"} | {"out": str(args.out.name)}
    results["machine"] = {"cpu": cpu_model(), "cores": os.cpu_count(),
                          "versions": versions("embedlab", "torch", "fastapi", "uvicorn", "sentence-transformers",
                                               "model2vec", "orjson")}
    results["command"] = "python3 dev.py bench serving" + (" --quick" if args.quick else "")
    results["minutes"] = round((time.time() - started) / 60, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    plot(results, args.out / "serving.png")
    write_results(args.out, "serving", results, render_markdown(results))
    print(render_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
