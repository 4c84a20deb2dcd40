"""An embedlab sentence encoder as a sentence-transformers module.

For encoders that sentence-transformers has no module for: the RNN encoders, and transformers pooled
by ``avg_first_last`` or ``avg_top2``. The module's subfolder is an ordinary embedlab encoder folder
(config.json + safetensors) and loading reads it with embedlab's own loader, so nothing in the folder
is executed. sentence-transformers (>= 6) imports a module class from another package only when told
to, so such a folder loads with ``SentenceTransformer(DIR, trust_remote_code=True)`` where embedlab
is installed; the code it runs is the installed embedlab, never a file from the folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from sentence_transformers.base.modules import InputModule

from embedlab.contrastive.encoder import TrainableEncoder
from embedlab.errors import ModelFormatError


class EmbedlabEncoder(InputModule):
    """Tokenizes with the encoder's own tokenizer and returns its pooled vector as ``sentence_embedding``."""

    config_keys: list[str] = []
    save_in_root = False  # its own subfolder, so embedlab's config.json does not meet the model's

    def __init__(self, encoder: TrainableEncoder) -> None:
        super().__init__()
        self.encoder = encoder
        self.max_seq_length = encoder.max_length

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any) -> dict[str, torch.Tensor]:
        texts = [str(t) for t in inputs]
        if prompt:
            texts = self._prepend_prompt(texts, prompt)
        ids, attention = self.encoder.batch(self.encoder.tokenize(texts, self.max_seq_length))
        return {"input_ids": ids, "attention_mask": attention}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        features["sentence_embedding"] = self.encoder(features["input_ids"], features["attention_mask"])  # (B, d)
        return features

    def get_embedding_dimension(self) -> int:
        return int(self.encoder.dim)

    def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
        self.encoder.save(output_path)

    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", token: bool | str | None = None,
             cache_folder: str | None = None, revision: str | None = None, local_files_only: bool = False,
             init_defaults: dict[str, Any] | None = None, **kwargs: Any) -> EmbedlabEncoder:
        from embedlab.contrastive.encoders import load_sentence_encoder

        folder = cls.load_dir_path(model_name_or_path, subfolder=subfolder, token=token, cache_folder=cache_folder,
                                   revision=revision, local_files_only=local_files_only)
        if folder is None:
            raise ModelFormatError(f"{model_name_or_path}: no embedlab encoder folder {subfolder!r} in this model")
        return cls(load_sentence_encoder(folder))
