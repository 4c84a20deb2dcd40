"""Open plain, gzip or bzip2 files by extension, in text or binary mode."""

from __future__ import annotations

import bz2
import gzip
import zlib
from pathlib import Path
from typing import IO, Any, cast

# What a truncated, corrupt or mislabelled .gz/.bz2 raises while being read (BadGzipFile is an OSError).
COMPRESSION_ERRORS: tuple[type[BaseException], ...] = (EOFError, OSError, zlib.error)


def open_maybe_compressed(path: str | Path, mode: str = "rb", **kwargs: Any) -> IO[Any]:
    """Open ``path``, decompressing ``.gz`` and ``.bz2`` transparently.

    Args:
        path: the file.
        mode: ``"rb"``, ``"wb"``, ``"rt"`` or ``"wt"`` (text modes take ``encoding``/``errors``).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return cast(IO[Any], gzip.open(path, mode, **kwargs))
    if suffix == ".bz2":
        return cast(IO[Any], bz2.open(path, mode, **kwargs))
    return open(path, mode, **kwargs)
