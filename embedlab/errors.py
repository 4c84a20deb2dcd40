"""Exceptions raised by embedlab.

Every error a user can cause (bad file, missing dataset, wrong shape) is an ``EmbedlabError`` whose
message says what went wrong and what to do about it, so the CLI can print it without a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class EmbedlabError(Exception):
    """Base class for every error embedlab raises on purpose."""


class DataError(EmbedlabError):
    """A corpus, benchmark or vector file is missing, unreadable or malformed."""


def unreadable(path: object, exc: OSError) -> DataError:
    """The error for a file that exists but cannot be read (permissions, I/O errors, not a plain file)."""
    return DataError(f"{path}: cannot read the file ({exc.strerror or exc}); check that it is a readable text file")


class ChecksumError(DataError):
    """A downloaded file does not match the sha256 the registry expects."""


class ModelFormatError(EmbedlabError):
    """A model folder or vector file is truncated, corrupt or of an unknown type."""


class MissingExtraError(EmbedlabError, ImportError):
    """An optional dependency is not installed; the message names the extra that provides it."""


def require(module: str, extra: str) -> ModuleType:
    """Import an optional dependency or raise a friendly error naming the extra.

    Args:
        module: the module to import, e.g. ``"sentence_transformers"``.
        extra: the embedlab extra that installs it, e.g. ``"teacher"``.

    Raises:
        MissingExtraError: the module cannot be imported.

    Example:
        >>> np = require("numpy", "core")
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised by monkeypatching in tests
        raise MissingExtraError(
            f"{module!r} is needed for this feature but is not installed. "
            f"Install it with: pip install 'embedlab[{extra}]'"
        ) from exc
