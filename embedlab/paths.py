"""Where embedlab keeps fetched data: ``$EMBEDLAB_HOME`` or the user's cache directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def embedlab_home() -> Path:
    """Return the cache root, creating it if needed.

    ``$EMBEDLAB_HOME`` wins; otherwise ``$XDG_CACHE_HOME/embedlab`` (``~/.cache/embedlab``) on Linux,
    ``~/Library/Caches/embedlab`` on macOS and ``%LOCALAPPDATA%\\embedlab`` on Windows.
    """
    env = os.environ.get("EMBEDLAB_HOME")
    if env:
        root = Path(env).expanduser()
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches" / "embedlab"
    elif sys.platform.startswith("win"):
        root = Path(os.environ.get("LOCALAPPDATA", Path.home())) / "embedlab"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "embedlab"
    root.mkdir(parents=True, exist_ok=True)
    return root
