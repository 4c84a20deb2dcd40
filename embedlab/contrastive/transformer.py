"""A Hugging Face transformer as a trainable sentence encoder (all-MiniLM-L6-v2 by default).

Poolers (SimCSE's and DiffCSE's names):

- ``cls``: the [CLS] state through the model's own pooler (dense + tanh), when it has one;
- ``cls_before_pooler``: the raw last-layer [CLS] state;
- ``avg``: the mean of the last layer's token states (what sentence-transformers' MiniLM uses);
- ``avg_first_last``: the mean over tokens of the average of the first and last layers' states;
- ``avg_top2``: the same for the last two layers.

Dropout inside the model (hidden and attention, 0.1 for MiniLM) makes SimCSE's two views.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch

from embedlab.contrastive.encoder import TrainableEncoder, masked_mean
from embedlab.contrastive.subwords import TokenizerTokens
from embedlab.errors import EmbedlabError, ModelFormatError

TransformerPooler = Literal["cls", "cls_before_pooler", "avg", "avg_first_last", "avg_top2"]
TRANSFORMER_POOLERS: tuple[str, ...] = ("cls", "cls_before_pooler", "avg", "avg_first_last", "avg_top2")
SUBFOLDER = "transformer"  # the Hugging Face model inside an embedlab folder
TOKENIZER_EXTRAS = ("tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


class TransformerSentenceEncoder(TrainableEncoder):
    """A transformer encoder and pooler.

    Args:
        model: a ``transformers`` encoder (``AutoModel``).
        tokenizer: its ``tokenizers.Tokenizer`` (padding and truncation off).
        pooler: one of ``TRANSFORMER_POOLERS``.
        max_length: the most tokens per input, special tokens included.
        source: where the model came from (for reports).
    """

    kind = "transformer"

    def __init__(self, model: Any, tokenizer: Any, *, pooler: TransformerPooler = "avg", max_length: int = 256,
                 source: str = "", model_dir: Path | None = None) -> None:
        super().__init__()
        self.model_dir = model_dir  # the folder it was loaded from (its tokenizer files are copied on save)
        if pooler not in TRANSFORMER_POOLERS:
            raise EmbedlabError(f"unknown transformer pooler {pooler!r}; choose one of {', '.join(TRANSFORMER_POOLERS)}")
        if pooler == "cls" and getattr(model, "pooler", None) is None:
            raise EmbedlabError("this model has no pooler layer: use --pooler cls_before_pooler (or avg)")
        self.model = model
        self.tokenizer = tokenizer
        self.pooler, self.max_length, self.source = pooler, max_length, source
        self.subwords = TokenizerTokens(tokenizer, int(model.config.vocab_size))
        self.tokens = self.subwords.space
        self.dim = int(model.config.hidden_size)

    @classmethod
    def load(cls, name_or_path: str | Path = "minilm", *, pooler: TransformerPooler = "avg",
             max_length: int | None = None) -> TransformerSentenceEncoder:
        """From ``minilm`` (the packaged all-MiniLM-L6-v2), a model folder or (with network) a hub name.

        Raises:
            EmbedlabError: the model cannot be loaded (the message says why).
        """
        from embedlab.teachers.backends import _max_length_of, load_hf_encoder
        from embedlab.teachers.sentence_transformer import resolve_encoder_path

        path_text = resolve_encoder_path(name_or_path)
        path = Path(path_text)
        model, tokenizer = load_hf_encoder(path_text, "transformer")
        limit = int(getattr(model.config, "max_position_embeddings", 512))
        default = _max_length_of(path, limit) if path.is_dir() else limit
        return cls(model.train(), tokenizer, pooler=pooler, max_length=min(max_length or default, limit),
                   source=str(name_or_path), model_dir=path if path.is_dir() else None)

    def tokenize(self, texts: Sequence[str], max_length: int | None = None) -> list[list[int]]:
        return self.subwords.tokenize(texts, max_length or self.max_length)

    def forward(self, ids: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        layers = self.pooler in ("avg_first_last", "avg_top2")
        out = self.model(input_ids=ids, attention_mask=attention, token_type_ids=torch.zeros_like(ids),
                         output_hidden_states=layers)
        if self.pooler == "cls":
            return out.pooler_output                                 # (B, d)
        if self.pooler == "cls_before_pooler":
            return out.last_hidden_state[:, 0]                       # (B, d)
        if self.pooler == "avg":
            return masked_mean(out.last_hidden_state, attention)     # (B, d)
        states = out.hidden_states                                    # layers + 1 of (B, L, d); 0 = embeddings
        pair = (states[1], states[-1]) if self.pooler == "avg_first_last" else (states[-2], states[-1])
        return masked_mean((pair[0] + pair[1]) / 2, attention)

    def settings(self) -> dict[str, Any]:
        return {"pooler": self.pooler, "max_length": self.max_length, "source": self.source}

    def save(self, folder: str | Path) -> Path:
        """config.json (embedlab's) plus the Hugging Face model and tokenizer under ``transformer/``."""
        from embedlab.io.folder import FORMAT_VERSION, staged_folder

        folder = Path(folder)
        with staged_folder(folder) as tmp:  # replaces only what it writes: the run's checkpoint/ and logs stay
            self.model.save_pretrained(tmp / SUBFOLDER)  # safetensors
            self.tokenizer.save(str(tmp / SUBFOLDER / "tokenizer.json"))
            for name in TOKENIZER_EXTRAS:  # what transformers' AutoTokenizer (and sentence-transformers) also read
                if self.model_dir is not None and (self.model_dir / name).is_file():
                    shutil.copy(self.model_dir / name, tmp / SUBFOLDER / name)
            config = {"model_type": "sentence_encoder", "encoder": self.kind, "format_version": FORMAT_VERSION,
                      **self.settings()}
            (tmp / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return folder

    @classmethod
    def from_folder(cls, folder: Path, config: dict[str, Any]) -> TransformerSentenceEncoder:
        sub = folder / SUBFOLDER
        if not (sub / "config.json").is_file():
            raise ModelFormatError(f"{folder}: the transformer is missing ({sub} has no config.json)")
        encoder = cls.load(sub, pooler=config.get("pooler", "avg"), max_length=config.get("max_length"))
        encoder.source = str(config.get("source", folder))
        return encoder.eval()
