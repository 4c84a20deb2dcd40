"""``embedlab serve``: every embedlab model behind an HTTP server that standard clients already speak.

- OpenAI: ``POST /v1/embeddings`` (float or base64, ``dimensions``, ``usage``), ``GET /v1/models``;
- Text Embeddings Inference: ``POST /embed``, ``GET /info``, ``GET /health``;
- Prometheus: ``GET /metrics``;
- beyond the peers: ``POST /v1/similar`` (word vectors), ``POST /v1/decode`` (the invertible
  autoencoder), ``POST /v1/generate`` (language models).

Concurrent embedding requests are merged into one ``encode`` call under a token budget
(``batching.DynamicBatcher``), which runs off the event loop on the model's own thread.

Example:
    >>> from embedlab.serve import ServeSettings, create_app                      # doctest: +SKIP
    >>> app = create_app(ServeSettings(models={"static": "googlenews-13k"}))      # an ASGI app for uvicorn
"""

from embedlab.serve.app import create_app
from embedlab.serve.server import serve
from embedlab.serve.settings import ServeSettings

__all__ = ["ServeSettings", "create_app", "serve"]
