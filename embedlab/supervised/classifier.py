"""Text classification with a recurrent encoder: embed, biRNN, pool over time, softmax."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from embedlab.blocks.config import ModelConfig
from embedlab.blocks.recurrent import SequenceEncoder
from embedlab.errors import EmbedlabError

Pooling = Literal["mean", "max", "last"]


@dataclass
class ClassifierConfig(ModelConfig):
    """Sizes of an ``RNNClassifier`` (saved as config.json).

    Attributes:
        pooling: ``mean`` or ``max`` over the token states, or ``last`` (the final state of each
            direction: the lecture's "final state -> softmax").
    """

    vocab_size: int
    num_classes: int
    cell: str = "lstm"
    emb: int = 300
    hidden: int = 150
    layers: int = 1
    bidirectional: bool = True
    pooling: str = "mean"
    dropout: float = 0.5



class RNNClassifier(nn.Module):
    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        if config.pooling not in ("mean", "max", "last"):
            raise EmbedlabError(f"pooling must be mean, max or last, got {config.pooling!r}")
        if config.num_classes < 2:
            raise EmbedlabError(f"a classifier needs at least 2 classes, got {config.num_classes}")
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.emb, padding_idx=0)
        self.dropout = nn.Dropout(config.dropout)
        self.encoder = SequenceEncoder(config.cell, config.emb, config.hidden, config.layers,
                                       dropout=config.dropout, bidirectional=config.bidirectional)
        self.output = nn.Linear(self.encoder.output_size, config.num_classes)

    def sentence_vectors(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids (B, T) padded with 0, lengths (B,) -> pooled (B, D*H)."""
        states, final = self.encoder(self.dropout(self.embedding(ids)), lengths)   # (B, T, D*H), (B, D*H)
        if self.config.pooling == "last":
            return final
        mask = (torch.arange(ids.size(1), device=ids.device)[None, :] < lengths[:, None]).unsqueeze(-1)  # (B, T, 1)
        if self.config.pooling == "max":
            return states.masked_fill(~mask, float("-inf")).max(dim=1).values
        return (states * mask).sum(1) / lengths.clamp(min=1)[:, None].to(states.dtype)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids (B, T), lengths (B,) -> logits (B, C)."""
        return self.output(self.dropout(self.sentence_vectors(ids, lengths)))
