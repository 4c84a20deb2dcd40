"""Prometheus metrics (``GET /metrics``), one registry per app so that apps in one process do not mix.

With ``--workers N`` each worker process counts its own requests (a scrape sees one worker).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)


class Metrics:
    def __init__(self) -> None:
        disable_created_metrics()  # the *_created series double every scrape and nobody reads them
        self.registry = CollectorRegistry()
        self.requests = Counter("embedlab_requests", "Requests answered, by route, model and status",
                                ["route", "model", "status"], registry=self.registry)
        self.errors = Counter("embedlab_request_errors", "Requests refused or failed (status >= 400)",
                              ["route", "model", "status"], registry=self.registry)
        self.latency = Histogram("embedlab_request_latency_seconds", "Time from request to response, by route and model",
                                 ["route", "model"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.batch_inputs = Histogram("embedlab_batch_inputs", "Inputs in one merged encode call",
                                      ["model"], buckets=SIZE_BUCKETS, registry=self.registry)
        self.batch_tokens = Histogram("embedlab_batch_tokens", "Tokens in one merged encode call",
                                      ["model"], buckets=SIZE_BUCKETS + (16384, 32768, 65536), registry=self.registry)
        self.queue_depth = Gauge("embedlab_queue_depth", "Requests waiting for the model", ["model"],
                                 registry=self.registry)
        self.dropped = Counter("embedlab_dropped_requests", "Requests whose client went away while they waited (dropped unencoded if still queued)",
                               ["model"], registry=self.registry)

    def observe(self, route: str, model: str, status: int, seconds: float) -> None:
        self.requests.labels(route, model, str(status)).inc()
        if status >= 400:
            self.errors.labels(route, model, str(status)).inc()
        self.latency.labels(route, model).observe(seconds)

