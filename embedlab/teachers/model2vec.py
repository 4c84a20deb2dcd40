"""A model2vec folder written by model2vec itself (sub-word tokenizer), behind embedlab's encoder contract.

embedlab's own model2vec export is word-level and loads as ``StaticEmbeddings``; a folder from
``model2vec.distill`` tokenizes into sub-words, so model2vec's ``StaticModel`` encodes it (extra ``peers``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from embedlab.blocks.sentence_encoder import SentenceEncoder
from embedlab.errors import EmbedlabError, require


class Model2VecEncoder(SentenceEncoder):
    """model2vec's ``StaticModel``; ``.model`` is the model itself."""

    default_batch_size = 1024

    def __init__(self, model: Any, source: str = "") -> None:
        self.model = model
        self.source = source

    @classmethod
    def load(cls, folder: str | Path) -> Model2VecEncoder:
        """Raises: MissingExtraError without model2vec; EmbedlabError when the folder does not load."""
        model2vec = require("model2vec", "peers")
        try:
            return cls(model2vec.StaticModel.from_pretrained(str(folder)), source=str(folder))
        except Exception as exc:  # model2vec raises many types; report the cause plainly
            raise EmbedlabError(f"cannot load model2vec folder {folder}: {exc}") from exc

    def get_sentence_embedding_dimension(self) -> int:
        return int(self.model.dim)

    def embed(self, sentences: list[str], *, batch_size: int = 1024, show_progress_bar: bool = False,
              **options: Any) -> np.ndarray:
        vectors = self.model.encode(sentences, batch_size=batch_size, show_progress_bar=show_progress_bar, **options)
        return np.asarray(vectors, dtype=np.float32)
