"""The embedlab model folder, and ``load()`` that dispatches on its model type.

A model is a folder::

    config.json          {"model_type": "static", "format_version": 1, ...model settings}
    model.safetensors    the tensors (for "static": embeddings (V, d) float32, counts (V,) int64)
    tokenizer.json       a Hugging Face tokenizers file (for "static": WordLevel, row i = token id i)

Loading never executes code from the files: JSON and safetensors only. Each model family registers a
loader for its ``model_type`` with ``register_loader``; ``load(path)`` reads config.json and calls it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from embedlab.errors import ModelFormatError

FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
TOKENIZER_NAME = "tokenizer.json"

_LOADERS: dict[str, Callable[[Path, dict[str, Any]], Any]] = {}


def register_loader(model_type: str) -> Callable[[Callable[[Path, dict[str, Any]], Any]], Callable[[Path, dict[str, Any]], Any]]:
    """Decorator: register ``fn(folder, config) -> model`` for a ``model_type``."""

    def wrap(fn: Callable[[Path, dict[str, Any]], Any]) -> Callable[[Path, dict[str, Any]], Any]:
        _LOADERS[model_type] = fn
        return fn

    return wrap


def read_config(folder: str | Path) -> dict[str, Any]:
    """Read and check ``config.json`` of a model folder.

    Raises:
        ModelFormatError: not a folder, no/garbled config, missing model_type, or a newer format.
    """
    folder = Path(folder)
    cfg_path = folder / CONFIG_NAME
    if not folder.is_dir():
        raise ModelFormatError(f"{folder}: not a model folder (expected a directory with {CONFIG_NAME})")
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFormatError(f"{folder}: no {CONFIG_NAME}; is this an embedlab model folder?") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"{cfg_path}: not valid JSON ({exc}); the file is corrupt or truncated") from exc
    if not isinstance(config, dict) or not isinstance(config.get("model_type"), str):
        raise ModelFormatError(f"{cfg_path}: needs a 'model_type' string field")
    version = config.get("format_version", 1)
    if not isinstance(version, int):
        raise ModelFormatError(f"{cfg_path}: format_version must be an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFormatError(
            f"{cfg_path}: format_version {version!r} is newer than this embedlab understands ({FORMAT_VERSION}); upgrade embedlab"
        )
    return config


def load(path: str | Path) -> Any:
    """Load any embedlab model folder; also word2vec files (as ``StaticEmbeddings``).

    Example:
        >>> kv = embedlab.load("runs/x2static")        # doctest: +SKIP
    """
    path = Path(path)
    if path.is_file():
        return load_vectors(path)
    config = read_config(path)
    model_type = config["model_type"]
    _import_model_families()
    loader = _LOADERS.get(model_type)
    if loader is None:
        known = ", ".join(sorted(_LOADERS))
        raise ModelFormatError(f"{path}: unknown model_type {model_type!r} (known: {known})")
    return loader(path, config)


def _import_model_families() -> None:
    """Import modules whose loaders register themselves (kept lazy to keep imports light)."""
    import embedlab.autoencoder.model  # noqa: F401
    import embedlab.contrastive.loading  # noqa: F401
    import embedlab.io.portable  # noqa: F401
    import embedlab.lm.model  # noqa: F401
    import embedlab.models.static  # noqa: F401
    import embedlab.supervised.classification  # noqa: F401
    import embedlab.supervised.tagging  # noqa: F401


def write_folder(folder: str | Path, config: dict[str, Any], tensors: dict[str, np.ndarray], tokenizer_json: str) -> Path:
    """Write a model folder (config.json, model.safetensors, tokenizer.json) through ``staged_folder``."""
    from safetensors.numpy import save_file

    folder = Path(folder)
    config = {"format_version": FORMAT_VERSION, **config}
    with staged_folder(folder) as tmp:
        (tmp / CONFIG_NAME).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(tmp / WEIGHTS_NAME), metadata={"format": "pt"})
        (tmp / TOKENIZER_NAME).write_text(tokenizer_json, encoding="utf-8")
    return folder


@contextlib.contextmanager
def staged_folder(folder: Path) -> Iterator[Path]:
    """A temp folder beside ``folder`` to write a save into; then its entries replace those of the same
    name in ``folder`` (other files there, e.g. a README or a run's checkpoint/, stay).

    A save that fails half-way leaves the old files untouched (the temp folder is removed); a new
    folder appears in one rename.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        yield tmp
        if not folder.exists():
            os.replace(tmp, folder)
            return
        for item in tmp.iterdir():
            target = folder / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(item, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def read_tensors(folder: str | Path) -> dict[str, np.ndarray]:
    """Read ``model.safetensors``; a truncated or corrupt file gives ``ModelFormatError``."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = Path(folder) / WEIGHTS_NAME
    if not path.is_file():
        raise ModelFormatError(f"{folder}: no {WEIGHTS_NAME}")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFormatError(f"{path}: cannot read weights ({exc}); the file is truncated or corrupt") from exc


# --- static vectors ------------------------------------------------------------------------------
def save_static(kv: Any, path: str | Path) -> Path:
    """Save ``StaticEmbeddings`` as an embedlab folder."""
    from embedlab.data.vocab import Vocab

    vocab = Vocab.from_lists(kv.index_to_key, kv.counts if kv.counts is not None else [0] * len(kv), lowercase=kv.lowercase)
    tensors = {"embeddings": kv.vectors}
    if kv.counts is not None:
        tensors["counts"] = kv.counts
    config = {"model_type": "static", "dim": kv.dim, "vocab_size": len(kv), "lowercase": kv.lowercase}
    return write_folder(path, config, tensors, vocab.to_tokenizer().to_str())


def read_word_table(folder: str | Path) -> tuple[list[str], np.ndarray]:
    """The words of ``tokenizer.json`` and the ``embeddings`` rows they index, checked to match."""
    from embedlab.data.vocab import read_tokenizer_words

    tensors = read_tensors(folder)
    if "embeddings" not in tensors:
        raise ModelFormatError(f"{folder}: {WEIGHTS_NAME} has no 'embeddings' tensor (found {sorted(tensors)})")
    words = read_tokenizer_words(Path(folder) / TOKENIZER_NAME)
    vectors = tensors["embeddings"]
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ModelFormatError(f"{folder}: tokenizer has {len(words)} words but embeddings have shape {vectors.shape}")
    return words, vectors


@register_loader("static")
def load_static(folder: Path, config: dict[str, Any]) -> Any:
    from embedlab.models.static import StaticEmbeddings

    words, vectors = read_word_table(folder)
    if "dim" in config and (not isinstance(config["dim"], int) or vectors.shape[1] != config["dim"]):
        raise ModelFormatError(f"{folder}: config says dim {config['dim']!r} but embeddings have dim {vectors.shape[1]}")
    counts = read_tensors(folder).get("counts")
    return StaticEmbeddings(words, vectors.astype(np.float32), counts,
                            lowercase=bool(config.get("lowercase", True)), source=str(folder))


def load_vectors(path: str | Path) -> Any:
    """Word vectors from an embedlab folder, a word2vec ``.txt``/``.vec``/``.bin`` (``.gz``/``.bz2``) file,
    or a registered vectors dataset (e.g. ``googlenews-13k``, fetched on first use)."""
    from embedlab.data.registry import DATASETS
    from embedlab.io.word2vec import load_word2vec
    from embedlab.models.static import StaticEmbeddings

    spec = DATASETS.get(str(path))
    if not Path(path).exists() and spec is not None and spec.kind == "vectors":
        from embedlab.data.fetch import dataset_path, fetch
        from embedlab.data.registry import read_manifest

        if read_manifest(spec.name) is None:
            fetch(spec.name)
        path = dataset_path(spec.name)
        path = path / spec.files[0] if path.is_dir() else path
    path = Path(path)
    if path.is_dir():
        model = load(path)
        if not isinstance(model, StaticEmbeddings):
            raise ModelFormatError(f"{path}: holds a {type(model).__name__}, not word vectors")
        return model
    if not path.exists():
        raise ModelFormatError(f"{path}: no such file or folder")
    return load_word2vec(path)
