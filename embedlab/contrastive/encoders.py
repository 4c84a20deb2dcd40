"""Building an encoder by name and loading a saved one (``embedlab.load`` dispatches here)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from embedlab.contrastive.encoder import TrainableEncoder
from embedlab.errors import EmbedlabError, ModelFormatError
from embedlab.io.folder import read_config

ENCODER_KINDS = ("minilm", "transformer", "rnn", "bag")


def build_encoder(kind: str, *, texts: Iterable[str] = (), vectors: Any = None, model: str = "minilm",
                  pooler: str | None = None, cell: str = "gru", hidden: int = 256, layers: int = 1,
                  dropout: float = 0.1, max_vocab: int = 30000) -> TrainableEncoder:
    """A fresh encoder.

    Args:
        kind: ``minilm`` (the packaged all-MiniLM-L6-v2), ``transformer`` (``model``: a folder or hub
            name), ``rnn`` or ``bag``.
        texts: the training text, for the word encoders' vocabulary (and counts).
        vectors: static vectors (``StaticEmbeddings``) to start the word encoders from.
        pooler: default ``avg`` for transformers, ``mean`` otherwise.

    Raises:
        EmbedlabError: an unknown kind or pooler.
    """
    if kind in ("minilm", "transformer"):
        from embedlab.contrastive.transformer import TransformerSentenceEncoder

        return TransformerSentenceEncoder.load("minilm" if kind == "minilm" else model, pooler=pooler or "avg")  # type: ignore[arg-type]
    if kind not in ("rnn", "bag"):
        raise EmbedlabError(f"unknown encoder {kind!r}; choose one of {', '.join(ENCODER_KINDS)}")
    from embedlab.contrastive.words import build_word_vocab

    lowercase = bool(getattr(vectors, "lowercase", True)) if vectors is not None else True
    vocab = build_word_vocab(texts, vectors, max_vocab=max_vocab, lowercase=lowercase)
    if kind == "rnn":
        from embedlab.contrastive.rnn import RNNSentenceEncoder

        return RNNSentenceEncoder(vocab, vectors=vectors, cell=cell, hidden=hidden, layers=layers, dropout=dropout,
                                  pooler=pooler or "mean")  # type: ignore[arg-type]
    from embedlab.contrastive.bag import BagSentenceEncoder

    return BagSentenceEncoder(vocab, vectors=vectors, dropout=dropout, pooler=pooler or "mean")  # type: ignore[arg-type]


def load_encoder_folder(folder: Path, config: dict[str, Any]) -> TrainableEncoder:
    """The encoder of an embedlab ``sentence_encoder`` folder (``embedlab.load`` calls this)."""
    kind = config.get("encoder")
    if kind == "transformer":
        from embedlab.contrastive.transformer import TransformerSentenceEncoder

        return TransformerSentenceEncoder.from_folder(folder, config)
    if kind == "rnn":
        from embedlab.contrastive.rnn import RNNSentenceEncoder

        return RNNSentenceEncoder.from_folder(folder, config)
    if kind == "bag":
        from embedlab.contrastive.bag import BagSentenceEncoder

        return BagSentenceEncoder.from_folder(folder, config)
    raise ModelFormatError(f"{folder}: unknown sentence encoder {kind!r} in config.json")


def load_sentence_encoder(folder: str | Path) -> TrainableEncoder:
    """A trained encoder folder (``embedlab train simcse|diffcse`` writes them), in eval mode.

    Raises:
        ModelFormatError: not a sentence-encoder folder, or damaged.
    """
    folder = Path(folder)
    config = read_config(folder)
    if config.get("model_type") != "sentence_encoder":
        raise ModelFormatError(f"{folder}: not a sentence-encoder folder (model_type {config.get('model_type')!r})")
    return load_encoder_folder(folder, config)
