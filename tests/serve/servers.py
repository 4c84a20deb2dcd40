"""Running ``embedlab serve`` for the HTTP tests: started as a subprocess on a free loopback port,
exactly as a user starts it, and stopped with SIGTERM (its exit status is checked)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx
import pytest

from embedlab.data.registry import read_manifest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    url: str
    proc: subprocess.Popen[str]

    def stop(self, timeout: float = 60) -> tuple[int, str]:
        """SIGTERM, then the exit status and what the server logged."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err


def start_server(*args: str, timeout: float = 180, env: dict[str, str] | None = None) -> Running:
    """``python -m embedlab serve ARGS --port FREE`` (``env`` added to the environment), once /health answers."""
    port = free_port()
    env = dict(os.environ, TQDM_DISABLE="1", TOKENIZERS_PARALLELISM="false", **(env or {}))
    proc = subprocess.Popen([sys.executable, "-m", "embedlab", "serve", *args, "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"embedlab serve exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return Running(url, proc)
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"embedlab serve did not answer /health within {timeout} s")


def require_vectors() -> None:
    if read_manifest("googlenews-13k") is None:
        pytest.skip("googlenews-13k is not fetched (embedlab data fetch googlenews-13k)")
