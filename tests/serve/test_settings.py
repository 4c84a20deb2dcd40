"""The command's settings and names, without a server."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from embedlab.cli.main import main
from embedlab.errors import EmbedlabError
from embedlab.serve.embeddings import finish
from embedlab.serve.models import model_name
from embedlab.serve.settings import ServeSettings


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                                ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False)])
def test_loopback(host: str, loopback: bool) -> None:
    assert ServeSettings(host=host).loopback is loopback


@pytest.mark.parametrize("field", ["max_batch_tokens", "max_inputs", "max_input_chars", "max_queue", "workers"])
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(EmbedlabError, match=field.replace("_", "-")):
        ServeSettings(**{field: 0})


def test_settings_travel_to_workers_as_json() -> None:
    s = ServeSettings(models={"a": "b"}, api_key="k", max_inputs=3)
    assert ServeSettings.from_json(s.to_json()) == s


def test_names(tmp_path: Any) -> None:
    (tmp_path / "vectors.bin").write_bytes(b"")
    (tmp_path / "my-model").mkdir()
    assert model_name(str(tmp_path / "vectors.bin")) == "vectors"
    assert model_name(str(tmp_path / "my-model")) == "my-model"
    assert model_name("minilm") == "minilm"


def test_finish_truncates_then_normalizes() -> None:
    v = np.array([[3.0, 4.0, 12.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(finish(v, 2, True), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(finish(v, None, True)[0], np.array([3, 4, 12]) / 13, rtol=1e-6)
    np.testing.assert_array_equal(finish(v, None, False), v)
    assert finish(v, 2, True).dtype == np.dtype("<f4") and finish(v, 2, True).flags.c_contiguous


@pytest.mark.parametrize(("argv", "message"), [
    (["serve"], "at least one MODEL"),
    (["serve", "--name", "novalue"], "NAME=MODEL"),
    (["serve", "minilm", "--name", "minilm=googlenews-13k"], "two models are named 'minilm'"),
    (["serve", "minilm", "--max-inputs", "0"], "max-inputs must be at least 1"),
])
def test_the_command_refuses_bad_arguments(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_public_host_without_a_key_is_a_warning(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
                                                  tiny_kv: Any) -> None:
    import uvicorn

    from embedlab.serve import server

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    monkeypatch.setattr("embedlab.loading.load", lambda spec, device=None: tiny_kv)
    with caplog.at_level(logging.WARNING, logger="embedlab.serve"):
        server.serve(ServeSettings(models={"t": "t"}, host="0.0.0.0"))
        assert "without an API key" in caplog.text
        caplog.clear()
        server.serve(ServeSettings(models={"t": "t"}, host="0.0.0.0", api_key="k"))
        server.serve(ServeSettings(models={"t": "t"}))
        assert "without an API key" not in caplog.text
    assert [c["host"] for c in calls] == ["0.0.0.0", "0.0.0.0", "127.0.0.1"]
