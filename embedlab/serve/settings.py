"""The server's limits and switches, shared by the command line, the app and its workers."""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from typing import Any

from embedlab.errors import EmbedlabError


@dataclass(frozen=True)
class ServeSettings:
    """What ``embedlab serve`` runs with (every field is a command-line option of the same name).

    Attributes:
        models: name -> what ``embedlab.load`` opens (a folder, a file, a packaged or hub name).
        api_key: when set, every route but ``/health`` needs ``Authorization: Bearer KEY``.
        max_batch_tokens: the token budget of one merged ``encode`` call (TEI's default, 16384).
        encode_batch_size: sentences per forward pass within a merged call; the model sorts a call's
            sentences by length, so small passes waste little on padding (minilm on 2 CPU cores: 16
            encodes 16% more sentences/s than 32 in calls of 32).
        max_inputs: inputs in one request (OpenAI's limit, 2048).
        max_input_chars: characters in one input.
        max_body_bytes: bytes in one request body.
        max_queue: requests waiting per model; one more is answered 503 with ``Retry-After``.
        max_generate_tokens: the largest ``max_tokens`` a generation request may ask for.
        workers: server processes (each loads the models; uvicorn's ``--workers``).
        graceful_timeout_s: after SIGTERM/SIGINT, how long in-flight requests may take to finish.
    """

    models: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None
    max_batch_tokens: int = 16384
    encode_batch_size: int = 16
    max_inputs: int = 2048
    max_input_chars: int = 32768
    max_body_bytes: int = 16 * 1024 * 1024
    max_queue: int = 1024
    max_generate_tokens: int = 1024
    workers: int = 1
    graceful_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        for name in ("max_batch_tokens", "encode_batch_size", "max_inputs", "max_input_chars", "max_body_bytes", "max_queue",
                     "max_generate_tokens", "workers"):
            if getattr(self, name) < 1:
                raise EmbedlabError(f"{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if not 0 <= self.port <= 65535:
            raise EmbedlabError(f"port must be in 0..65535, got {self.port}")
        if self.graceful_timeout_s < 0:
            raise EmbedlabError(f"graceful-timeout must be >= 0, got {self.graceful_timeout_s}")
        if self.api_key is not None and not self.api_key.strip():
            raise EmbedlabError("the API key is empty; give a key or none")

    @property
    def loopback(self) -> bool:
        """Whether the host only listens on this machine."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServeSettings:
        return cls(**data)
