"""Frozen transformer encoders that turn token ids into last-layer token states.

Two backends share one small contract (``TokenStateModel``) so every teacher-side algorithm
(X2Static contexts, pooled distillation, sentence encoding) is written once in
``embedlab.teachers.contextual``:

- ``TorchBackend``: any Hugging Face encoder (``transformers.AutoModel``) from a folder or a hub
  name; CUDA when present, CPU otherwise; never a gradient.
- ``OnnxBackend``: an ONNX export run by ONNX Runtime (e.g. the int8 all-MiniLM-L6-v2), usually
  the fastest choice on a CPU.

Tokenization is the ``tokenizers`` library's (the same ``tokenizer.json`` for both), with offsets,
so word-level targets can be aligned to sub-word tokens.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tokenizers import Tokenizer

from embedlab.errors import EmbedlabError, ModelFormatError, require
from embedlab.io.folder import require_safetensors

logger = logging.getLogger(__name__)


class TokenStateModel(Protocol):
    """What a teacher backend provides.

    Attributes:
        name: what the user called it (for reports and cache keys).
        dim: hidden size d.
        max_length: the most tokens (special tokens included) one input may have.
        tokenizer: the model's ``tokenizers.Tokenizer`` with padding and truncation off.
    """

    name: str
    dim: int
    max_length: int
    tokenizer: Tokenizer

    def states(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """(B, L) int64 ids and mask -> (B, L, d) float32 last-layer token states."""
        ...


@dataclass(frozen=True)
class SpecialTokens:
    """The ids a tokenizer puts before and after a single sequence (``[CLS]`` / ``[SEP]`` for BERT)."""

    prefix: tuple[int, ...]
    suffix: tuple[int, ...]
    pad_id: int

    @classmethod
    def of(cls, tokenizer: Tokenizer) -> SpecialTokens:
        with_specials = tokenizer.encode("a", add_special_tokens=True).ids
        bare = tokenizer.encode("a", add_special_tokens=False).ids
        if not bare:
            raise ModelFormatError("the teacher's tokenizer maps 'a' to no token at all")
        at = _find(with_specials, bare)
        pad = tokenizer.token_to_id("[PAD]")
        if pad is None:
            pad = tokenizer.token_to_id("<pad>")
        return cls(tuple(with_specials[:at]), tuple(with_specials[at + len(bare):]), 0 if pad is None else pad)


def _find(seq: list[int], sub: list[int]) -> int:
    for i in range(len(seq) - len(sub) + 1):
        if seq[i:i + len(sub)] == sub:
            return i
    raise ModelFormatError("cannot locate the text tokens between the tokenizer's special tokens")


def load_tokenizer(path: str | Path) -> Tokenizer:
    """A ``tokenizer.json`` with padding and truncation switched off (batching is done here)."""
    try:
        tok = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception on a bad file
        raise ModelFormatError(f"{path}: not a readable tokenizer.json ({exc})") from exc
    tok.no_padding()
    tok.no_truncation()
    return tok


def _max_length_of(folder: Path, default: int) -> int:
    """sentence-transformers' ``max_seq_length`` when the folder has one, else ``default``."""
    cfg = folder / "sentence_bert_config.json"
    if cfg.is_file():
        try:
            return int(json.loads(cfg.read_text(encoding="utf-8"))["max_seq_length"])
        except (ValueError, KeyError, TypeError):
            logger.warning("%s: unreadable max_seq_length; using %d", cfg, default)
    return default


# Files one of which a folder needs for transformers to build its tokenizer.
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model")


def load_hf_encoder(name_or_path: str | Path, what: str) -> tuple[Any, Tokenizer]:
    """A Hugging Face encoder (``AutoModel``, safetensors only) and its tokenizer with padding and
    truncation off, from a local folder or (with network) a hub name.

    Raises:
        ModelFormatError: a local folder without a tokenizer, or with pickle weights only.
        EmbedlabError: transformers cannot load it (the message says why; ``what`` names the role).
    """
    transformers = require("transformers", "teacher")
    path = Path(name_or_path)
    if path.exists():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder must never trigger a hub lookup
        if path.is_dir() and not any((path / f).is_file() for f in TOKENIZER_FILES):
            # transformers would fall back to a tokenizer that maps every word to one id
            raise ModelFormatError(f"{path}: no tokenizer beside the model (none of {', '.join(TOKENIZER_FILES)}); "
                                   "copy the tokenizer files of the model it came from into the folder")
        require_safetensors(path)
    try:
        model = transformers.AutoModel.from_pretrained(str(name_or_path), use_safetensors=True)
        if (path / "tokenizer.json").is_file():
            tokenizer = load_tokenizer(path / "tokenizer.json")
        else:
            tokenizer = transformers.AutoTokenizer.from_pretrained(str(name_or_path), use_fast=True).backend_tokenizer
            tokenizer.no_padding()
            tokenizer.no_truncation()
    except (OSError, ValueError) as exc:
        raise EmbedlabError(f"cannot load {what} {name_or_path!r}: {exc}") from exc
    return model, tokenizer


class TorchBackend:
    """A Hugging Face encoder run by PyTorch (no gradient, eval mode).

    Args:
        name_or_path: a local model folder, or a hub name (needs network the first time).
        device: ``"cuda"``, ``"cpu"`` or ``None`` (CUDA when available).
        name: label for reports (defaults to ``name_or_path``).
    """

    def __init__(self, name_or_path: str | Path, device: str | None = None, name: str | None = None) -> None:
        import torch

        self.name = name or str(name_or_path)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        path = Path(name_or_path)
        model, self.tokenizer = load_hf_encoder(name_or_path, "teacher")
        self.model = model.to(self.device).eval()
        self.model.requires_grad_(False)
        self.dim = int(self.model.config.hidden_size)
        limit = int(getattr(self.model.config, "max_position_embeddings", 512))
        self.max_length = min(_max_length_of(path, limit) if path.is_dir() else limit, limit)

    def states(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            ids = torch.from_numpy(input_ids).to(self.device)
            mask = torch.from_numpy(attention_mask).to(self.device)
            out = self.model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids))
            return out.last_hidden_state.float().cpu().numpy()  # (B, L, d)


class OnnxBackend:
    """An ONNX encoder export run by ONNX Runtime on the CPU.

    The token states are the output named ``last_hidden_state`` or, failing that, the first
    3-D output whose last axis is the hidden size.

    Args:
        model_path: the ``.onnx`` file.
        tokenizer_path: the matching ``tokenizer.json``.
        max_length: the longest input the model was trained for.
        threads: intra-op threads (default: what torch uses, i.e. the physical cores).
    """

    def __init__(self, model_path: str | Path, tokenizer_path: str | Path, *, max_length: int = 256,
                 threads: int | None = None, name: str | None = None) -> None:
        import torch

        ort = require("onnxruntime", "onnx")
        self.name = name or str(model_path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own unexported exception types
            raise ModelFormatError(f"{model_path}: cannot load the ONNX model ({exc})") from exc
        self.tokenizer = load_tokenizer(tokenizer_path)
        self.max_length = max_length
        self.input_names = {i.name for i in self.session.get_inputs()}
        outputs = self.session.get_outputs()
        by_name = {o.name: o for o in outputs}
        chosen = by_name.get("last_hidden_state") or next(
            (o for o in outputs if len(o.shape) == 3 and isinstance(o.shape[2], int)), None)
        if chosen is None:
            raise ModelFormatError(f"{model_path}: no (batch, sequence, hidden) output among "
                                   f"{[o.name for o in outputs]}")
        self.output_name = chosen.name
        self.dim = int(chosen.shape[2])

    def states(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": input_ids, "attention_mask": attention_mask}
        if "token_type_ids" in self.input_names:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        (out,) = self.session.run([self.output_name], feed)
        return np.asarray(out, dtype=np.float32)  # (B, L, d)
