"""The recurrent sentence autoencoder that regresses word vectors (docs/METHODS.md D).

sentence -> encoder (reads it reversed) -> tanh -> dense tanh = one sentence vector -> decoder (the
sentence vector at every step) -> linear -> one word vector per position. No softmax: the output is
compared with the true word vectors (squared error or cosine) and decoded by the nearest word.

The word-vector table is a frozen buffer of the module, so a saved model carries the vectors it
decodes into.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from embedlab.autoencoder.residual import ResidualRNN
from embedlab.blocks.config import ModelConfig
from embedlab.errors import EmbedlabError

AUTOENCODER_CELLS = ("residual", "gru")


@dataclass
class AutoencoderConfig(ModelConfig):
    """Sizes of a ``RecurrentAutoencoder`` (saved as config.json).

    Attributes:
        vocab_size / word_dim: the word-vector table's shape (specials included).
        hidden: recurrent width of encoder and decoder (the paper: 10,000 on a GPU).
        sentence_dim: size of the sentence vector.
        cell: ``residual`` (the paper's gate-free cell) or ``gru`` (torch's fused GRU, its baseline).
        extra_blocks: extra residual blocks per step (residual cell only).
        dropout: after the encoder's read-out and on the decoder's states (the paper: 0.5).
    """

    vocab_size: int
    word_dim: int
    hidden: int = 512
    sentence_dim: int = 512
    cell: str = "residual"
    extra_blocks: int = 0
    dropout: float = 0.0


class RecurrentAutoencoder(nn.Module):
    table: torch.Tensor

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        if config.cell not in AUTOENCODER_CELLS:
            raise EmbedlabError(f"unknown autoencoder cell {config.cell!r}; choose one of {', '.join(AUTOENCODER_CELLS)}")
        if config.extra_blocks and config.cell != "residual":
            raise EmbedlabError("extra residual blocks need cell='residual'")
        self.config = config
        self.register_buffer("table", torch.zeros(config.vocab_size, config.word_dim))  # (V, d), frozen
        self.encoder: nn.Module
        self.decoder: nn.Module
        if config.cell == "residual":
            self.encoder = ResidualRNN(config.word_dim, config.hidden, config.extra_blocks)
            self.decoder = ResidualRNN(config.sentence_dim, config.hidden, config.extra_blocks)
        else:
            self.encoder = nn.GRU(config.word_dim, config.hidden, batch_first=True)
            self.decoder = nn.GRU(config.sentence_dim, config.hidden, batch_first=True)
        self.readout = nn.Linear(config.hidden, config.sentence_dim)
        self.dropout = nn.Dropout(config.dropout)
        self.output = nn.Linear(config.hidden, config.word_dim)

    def encode(self, reversed_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """reversed_ids (B, T): each sentence reversed, right-padded; lengths (B,) -> sentence vectors (B, S)."""
        x = self.table[reversed_ids]                                       # (B, T, d)
        index = (lengths - 1).clamp(min=0)
        if self.config.cell == "residual":
            states = self.encoder(x)                                       # (B, T, H)
            last = states[torch.arange(x.size(0), device=x.device), index]  # (B, H): the state at the first word
        else:
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu().clamp(min=1), batch_first=True,
                                                       enforce_sorted=False)
            _, h = self.encoder(packed)                                    # (1, B, H)
            last = h[0]
        return torch.tanh(self.readout(torch.tanh(last)))                 # (B, S)

    def decode(self, sentence: torch.Tensor, steps: int) -> torch.Tensor:
        """sentence (B, S) -> predicted word vectors (B, steps, d)."""
        s = self.dropout(sentence)
        if self.config.cell == "residual":
            states = self.decoder(s, steps=steps)                          # (B, steps, H)
        else:
            states, _ = self.decoder(s.unsqueeze(1).expand(-1, steps, -1).contiguous())
        return self.output(self.dropout(states))                           # (B, steps, d)

    def forward(self, reversed_ids: torch.Tensor, lengths: torch.Tensor, steps: int) -> torch.Tensor:
        """Reconstruction of the batch: (B, steps, d), ``steps`` = longest sentence + 1 (end of sentence)."""
        return self.decode(self.encode(reversed_ids, lengths), steps)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
