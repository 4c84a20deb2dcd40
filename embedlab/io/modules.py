"""A trained torch module and its word vocabulary as an embedlab model folder.

Shared by every network family (language model, classifier, tagger): weights in
``model.safetensors`` (a tied matrix once, with the alias recorded in config.json and re-tied by the
model's constructor), vocabulary counts next to them, the vocabulary itself as ``tokenizer.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from embedlab.data.vocab import Vocab, read_tokenizer_words
from embedlab.errors import ModelFormatError
from embedlab.io.folder import TOKENIZER_NAME, read_tensor_shapes, read_tensors, write_folder
from embedlab.train.checkpoint import load_state_tensors, state_tensors

M = TypeVar("M", bound=nn.Module)


def save_module_folder(folder: str | Path, module: nn.Module, vocab: Vocab, config: dict[str, Any]) -> Path:
    """Write ``module``'s weights, ``vocab`` and ``config`` (which must name the ``model_type``)."""
    weights, aliases = state_tensors(module)
    tensors: dict[str, np.ndarray] = {k: v.numpy() for k, v in weights.items()}
    tensors["vocab_counts"] = vocab.counts
    return write_folder(folder, {**config, "tied_aliases": aliases}, tensors, vocab.to_tokenizer().to_str())


def load_module_folder(folder: Path, config: dict[str, Any], build: Callable[[], M], *,
                       specials: list[str], unk: str | None, lowercase: bool = True) -> tuple[M, Vocab]:
    """The module ``build()`` makes, with the folder's weights loaded, and the folder's vocabulary.

    Raises:
        ModelFormatError: config.json lacks the model's settings, or the weights do not fit them.
    """
    try:
        with torch.device("meta"):  # the shapes config.json implies, without allocating them
            shapes = {k: tuple(v.shape) for k, v in build().state_dict().items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{folder}: config.json lacks the model's settings or has bad ones ({exc})") from exc
    stored = read_tensor_shapes(folder)
    aliases = config.get("tied_aliases", {})
    if not isinstance(aliases, dict):
        raise ModelFormatError(f"{folder}: config.json's tied_aliases must map names to names")
    wrong = [f"{k} {shapes.get(aliases.get(k, k))} in config vs {v} in the file" for k, v in stored.items()
             if k != "vocab_counts" and shapes.get(aliases.get(k, k)) not in (None, v)]
    if wrong:
        raise ModelFormatError(f"{folder}: the weights do not match config.json ({'; '.join(wrong[:3])})")
    module = build()
    words = read_tokenizer_words(folder / TOKENIZER_NAME)
    tensors = read_tensors(folder)
    counts = tensors.pop("vocab_counts", np.zeros(len(words), dtype=np.int64))
    try:
        load_state_tensors(module, {k: torch.from_numpy(v) for k, v in tensors.items()},
                           dict(config.get("tied_aliases", {})))
    except (RuntimeError, ModelFormatError) as exc:
        raise ModelFormatError(f"{folder}: the weights do not match config.json ({exc})") from exc
    return module, Vocab.from_lists(words, counts, specials=specials, unk=unk, lowercase=lowercase)
