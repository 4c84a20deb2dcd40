"""Sentence encoders and teachers: resolve what a user names into something with ``encode``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from embedlab.teachers.sentence_transformer import PACKAGED, encode_words, load_sentence_transformer

__all__ = ["PACKAGED", "encode_words", "load_encoder", "load_sentence_transformer"]


def load_encoder(spec: str | Path, device: str | None = None) -> Any:
    """Load a sentence encoder from what a user typed.

    - an embedlab model folder (``config.json`` with ``format_version``) or a word2vec file:
      ``embedlab.load`` (static vectors encode sentences as the mean of their words);
    - a sentence-transformers folder that embedlab exported through its own module (an RNN encoder):
      the embedlab folder inside it (no ``trust_remote_code`` needed; the code is embedlab's);
    - ``minilm`` (the packaged all-MiniLM-L6-v2), a sentence-transformers folder (``modules.json``)
      or, with network, a hub name: sentence-transformers.
    """
    import json

    from embedlab.io.folder import CONFIG_NAME, load

    path = Path(spec)
    if path.is_file():
        return load(path)
    inner = _embedlab_module_folder(path)
    if inner is not None:
        return load(inner)
    if path.is_dir() and (path / CONFIG_NAME).is_file() and not (path / "modules.json").is_file():
        try:
            is_embedlab = "format_version" in json.loads((path / CONFIG_NAME).read_text(encoding="utf-8"))
        except ValueError:
            is_embedlab = True  # let embedlab.load report the corrupt config clearly
        if is_embedlab:
            return load(path)
    return load_sentence_transformer(spec, device=device)


def _embedlab_module_folder(path: Path) -> Path | None:
    """The embedlab folder of a sentence-transformers folder made of embedlab's module alone, else None."""
    import json

    from embedlab.contrastive.export import EMBEDLAB_MODULE

    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(modules, list) and len(modules) == 1 and isinstance(modules[0], dict) \
            and modules[0].get("type") == EMBEDLAB_MODULE:
        inner = (path / str(modules[0].get("path", ""))).resolve()
        return inner if path.resolve() in inner.parents else None  # only a folder inside this one
    return None
