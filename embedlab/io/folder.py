"""The embedlab model folder: reading and writing its three files.

A model is a folder::

    config.json          {"model_type": "static", "format_version": 1, ...model settings}
    model.safetensors    the tensors (for "static": embeddings (V, d) float32, counts (V,) int64)
    tokenizer.json       a Hugging Face tokenizers file (for "static": WordLevel, row i = token id i)

Loading never executes code from the files: JSON and safetensors only. This module reads and writes
the format; ``embedlab.loading`` maps each ``model_type`` to the family that builds the model.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from embedlab.errors import ModelFormatError

FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
TOKENIZER_NAME = "tokenizer.json"

def read_config(folder: str | Path, expect: str | None = None) -> dict[str, Any]:
    """Read and check ``config.json`` of a model folder (of model type ``expect`` when given).

    Raises:
        ModelFormatError: not a folder, no/garbled config, missing model_type, a newer format, or
            another model type than ``expect``.
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
    if expect is not None and config["model_type"] != expect:
        raise ModelFormatError(f"{folder}: holds a {config['model_type']!r} model, not {expect!r} "
                               "(embedlab.load opens any model)")
    return config


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
                # out of the way by a rename, not deleted first: a kill leaves the old one or the new one
                old = Path(tempfile.mkdtemp(prefix=f".{item.name}.old.", dir=folder))
                os.replace(target, old / item.name)
                os.replace(item, target)
                shutil.rmtree(old)
            else:
                os.replace(item, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


def require_safetensors(folder: str | Path) -> None:
    """Refuse a model folder whose weights exist only as pickle files (``pytorch_model.bin``...):
    unpickling can run code, so embedlab never hands such a folder to transformers.

    Raises:
        ModelFormatError: the message says how to convert the weights, for a file the user trusts.
    """
    folder = Path(folder)
    if not folder.is_dir() or any(folder.glob("*.safetensors")):
        return
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise ModelFormatError(
            f"{folder}: the weights are pickle files ({', '.join(pickles[:3])}), which can run code when loaded; "
            "embedlab reads safetensors only. If you trust the file, convert it once: python -c \"from transformers "
            f"import AutoModel; AutoModel.from_pretrained('{folder}').save_pretrained('{folder}')\"")


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


def read_tensor_shapes(folder: str | Path) -> dict[str, tuple[int, ...]]:
    """The name and shape of every tensor in ``model.safetensors``, from its header (no data read)."""
    from safetensors import SafetensorError, safe_open

    path = Path(folder) / WEIGHTS_NAME
    if not path.is_file():
        raise ModelFormatError(f"{folder}: no {WEIGHTS_NAME}")
    try:
        with safe_open(str(path), framework="np") as handle:
            return {key: tuple(handle.get_slice(key).get_shape()) for key in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFormatError(f"{path}: cannot read weights ({exc}); the file is truncated or corrupt") from exc


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
