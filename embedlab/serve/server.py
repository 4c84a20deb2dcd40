"""Running the app: uvicorn, started by ``embedlab serve`` itself, one process or ``--workers N``.

uvicorn's own shutdown is graceful: on SIGTERM or SIGINT it stops accepting connections, lets the
requests in flight finish (up to ``graceful_timeout_s``), then the app's lifespan stops the batchers.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from embedlab.serve.settings import ServeSettings

log = logging.getLogger("embedlab.serve")
SETTINGS_ENV = "EMBEDLAB_SERVE_SETTINGS"  # how worker processes receive the settings


def app_from_environment() -> Any:
    """The app factory each ``--workers`` process calls (it loads its own models)."""
    from embedlab.serve.app import create_app

    return create_app(ServeSettings.from_json(json.loads(os.environ[SETTINGS_ENV])))


def serve(settings: ServeSettings, *, access_log: bool = False) -> None:

    """Serve ``settings.models`` until SIGTERM or SIGINT (blocks).

    The models are loaded before the port is bound, so a bad model is an error, not a server that
    answers 500.
    """
    import uvicorn

    from embedlab.serve.app import create_app

    if not settings.loopback and settings.api_key is None:
        log.warning("serving on %s without an API key: anyone who can reach this machine can use the models "
                    "(set --api-key or EMBEDLAB_API_KEY)", settings.host)
    options: dict[str, Any] = {"host": settings.host, "port": settings.port, "log_config": None,
                               "access_log": access_log, "timeout_graceful_shutdown": settings.graceful_timeout_s,
                               "server_header": False}
    if settings.workers == 1:
        app = create_app(settings)
        log.info("serving %s on http://%s:%d (OpenAI /v1/embeddings, TEI /embed, /metrics, /docs)",
                 ", ".join(settings.models), settings.host, settings.port)
        uvicorn.run(app, **options)
        return
    create_app(settings)  # every model loads here first: a bad one fails before the workers start
    os.environ[SETTINGS_ENV] = json.dumps(settings.to_json())
    uvicorn.run("embedlab.serve.server:app_from_environment", factory=True, workers=settings.workers, **options)
