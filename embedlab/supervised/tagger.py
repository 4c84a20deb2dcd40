"""Sequence labelling with a biRNN: per-token softmax over tags (POS tagging).

Each token enters as its word embedding plus two cheap spelling features that carry unknown words:
an embedding of its lower-cased 3-letter suffix and of its shape (capitalized, all caps, digits,
hyphen, letters), the usual features of neural taggers without a character RNN.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from embedlab.blocks.config import ModelConfig
from embedlab.blocks.recurrent import SequenceEncoder

SHAPES = 32  # 5 binary spelling features


def word_shape(word: str) -> int:
    """A small integer for the word's spelling: title-case, all caps, has a digit, a hyphen, all letters."""
    bits = (word[:1].isupper(), word.isupper(), any(ch.isdigit() for ch in word), "-" in word, word.isalpha())
    return sum(int(b) << i for i, b in enumerate(bits))


@dataclass
class TaggerConfig(ModelConfig):
    vocab_size: int
    suffix_size: int
    num_tags: int
    cell: str = "lstm"
    emb: int = 100
    suffix_emb: int = 32
    shape_emb: int = 8
    hidden: int = 128
    layers: int = 1
    dropout: float = 0.3



class RNNTagger(nn.Module):
    def __init__(self, config: TaggerConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.emb, padding_idx=0)
        self.suffix = nn.Embedding(config.suffix_size, config.suffix_emb, padding_idx=0)
        self.shape = nn.Embedding(SHAPES, config.shape_emb)
        self.dropout = nn.Dropout(config.dropout)
        self.encoder = SequenceEncoder(config.cell, config.emb + config.suffix_emb + config.shape_emb,
                                       config.hidden, config.layers, dropout=config.dropout, bidirectional=True)
        self.output = nn.Linear(self.encoder.output_size, config.num_tags)

    def forward(self, words: torch.Tensor, suffixes: torch.Tensor, shapes: torch.Tensor,
                lengths: torch.Tensor) -> torch.Tensor:
        """words, suffixes, shapes (B, T) padded with 0; lengths (B,) -> tag logits (B, T, K)."""
        x = torch.cat([self.embedding(words), self.suffix(suffixes), self.shape(shapes)], dim=-1)  # (B, T, I)
        states, _ = self.encoder(self.dropout(x), lengths)                                         # (B, T, 2H)
        return self.output(self.dropout(states))
