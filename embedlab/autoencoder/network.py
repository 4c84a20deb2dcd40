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
DECODER_INPUTS = ("sentence", "position", "previous")


@dataclass
class AutoencoderConfig(ModelConfig):
    """Sizes and wiring of a ``RecurrentAutoencoder`` (saved as config.json).

    Attributes:
        vocab_size / word_dim: the word-vector table's shape (specials included).
        hidden: recurrent width of encoder and decoder (the paper: 10,000 on a GPU).
        sentence_dim: size of the sentence vector.
        cell: ``residual`` (the paper's gate-free cell) or ``gru`` (torch's fused GRU, its baseline).
        extra_blocks: extra residual blocks per step (residual cell only).
        dropout: after the encoder's read-out and on the decoder's states (the paper: 0.5).
        decoder_input: what the decoder reads at step t besides its state: ``sentence`` (the sentence
            vector only, the paper's), ``position`` (also a learned embedding of t) or ``previous``
            (also the previous word's vector: teacher forcing in training, its own greedy choice when
            decoding; a departure from the paper).
        position_dim / max_positions: the position embedding (``position`` and ``previous``).
        output_tanh: the output layer reads tanh(h) (the paper's code) instead of h.
        previous_dropout: in training, the share of previous-word inputs blanked (word dropout,
            Bowman et al. 2016): the decoder must lean on the sentence vector, not only on the
            previous word, which makes greedy decoding of unseen sentences go astray less.
    """

    vocab_size: int
    word_dim: int
    hidden: int = 512
    sentence_dim: int = 512
    cell: str = "residual"
    extra_blocks: int = 0
    dropout: float = 0.0
    decoder_input: str = "sentence"
    position_dim: int = 32
    max_positions: int = 128
    output_tanh: bool = False
    previous_dropout: float = 0.0


class RecurrentAutoencoder(nn.Module):
    table: torch.Tensor

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        if config.cell not in AUTOENCODER_CELLS:
            raise EmbedlabError(f"unknown autoencoder cell {config.cell!r}; choose one of {', '.join(AUTOENCODER_CELLS)}")
        if config.decoder_input not in DECODER_INPUTS:
            raise EmbedlabError(f"unknown decoder input {config.decoder_input!r}; choose one of {', '.join(DECODER_INPUTS)}")
        if config.extra_blocks and config.cell != "residual":
            raise EmbedlabError("extra residual blocks need cell='residual'")
        self.config = config
        self.register_buffer("table", torch.zeros(config.vocab_size, config.word_dim))  # (V, d), frozen
        steps_in = 0                                    # per-step decoder input besides the sentence vector
        if config.decoder_input != "sentence":
            self.positions = nn.Embedding(config.max_positions, config.position_dim)
            steps_in += config.position_dim
        if config.decoder_input == "previous":
            self.start = nn.Parameter(torch.zeros(config.word_dim))       # the "previous word" at step 0
            steps_in += config.word_dim
        self.encoder: nn.Module
        self.decoder: nn.Module
        if config.cell == "residual":
            self.encoder = ResidualRNN(config.word_dim, config.hidden, config.extra_blocks)
            self.decoder = ResidualRNN(steps_in or config.sentence_dim, config.hidden, config.extra_blocks)
            if steps_in:   # the sentence vector's projection, computed once per sentence
                self.context = nn.Linear(config.sentence_dim, config.hidden, bias=False)
        else:
            self.encoder = nn.GRU(config.word_dim, config.hidden, batch_first=True)
            self.decoder = nn.GRU(config.sentence_dim + steps_in, config.hidden, batch_first=True)
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

    def _step_inputs(self, batch: int, first: int, steps: int, previous: torch.Tensor | None) -> torch.Tensor | None:
        """The per-step decoder inputs of steps first..first+steps-1: (B, steps, P [+ d]), or None (``sentence``)."""
        if self.config.decoder_input == "sentence":
            return None
        t = torch.arange(first, first + steps, device=self.table.device).clamp(max=self.config.max_positions - 1)
        parts = [self.positions(t).unsqueeze(0).expand(batch, -1, -1)]                     # (B, steps, P)
        if self.config.decoder_input == "previous":
            if previous is None:
                raise ValueError("decoder_input='previous' needs the previous words' vectors")
            parts.append(previous)                                                            # (B, steps, d)
        return torch.cat(parts, dim=2)

    def shifted(self, target_ids: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: target_ids (B, L) -> the previous word's vector at each step (B, L, d)."""
        start = self.start.expand(target_ids.size(0), 1, -1)
        previous = self.table[target_ids[:, :-1]]                                    # (B, L-1, d)
        if self.training and self.config.previous_dropout > 0:
            kept = torch.rand(previous.shape[:2], device=previous.device) >= self.config.previous_dropout
            previous = previous * kept.unsqueeze(2)
        return torch.cat([start, previous], dim=1)

    def decoder_states(self, sentence: torch.Tensor, steps: int, *, first: int = 0, previous: torch.Tensor | None = None,
                       state: torch.Tensor | None = None) -> torch.Tensor:
        """sentence (B, S) -> decoder states (B, steps, H) of steps first.. (``state`` (B, H): the state before)."""
        s = self.dropout(sentence)
        x = self._step_inputs(s.size(0), first, steps, previous)
        if self.config.cell == "residual":
            if x is None:
                return self.decoder(s, state, steps=steps)                                   # (B, steps, H)
            return self.decoder(x, state, added=self.context(s))
        x = s.unsqueeze(1).expand(-1, steps, -1) if x is None else torch.cat([s.unsqueeze(1).expand(-1, steps, -1), x], 2)
        states, _ = self.decoder(x.contiguous(), None if state is None else state.unsqueeze(0).contiguous())
        return states

    def predict(self, states: torch.Tensor) -> torch.Tensor:
        """decoder states (..., H) -> predicted word vectors (..., d)."""
        states = self.dropout(states)
        return self.output(torch.tanh(states) if self.config.output_tanh else states)

    def decode(self, sentence: torch.Tensor, steps: int, previous: torch.Tensor | None = None) -> torch.Tensor:
        """sentence (B, S) -> predicted word vectors (B, steps, d); ``previous`` (B, steps, d) for teacher forcing."""
        return self.predict(self.decoder_states(sentence, steps, previous=previous))

    def forward(self, reversed_ids: torch.Tensor, lengths: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Reconstruction of the batch: targets (B, L+1) are the words then end of sentence -> (B, L+1, d)."""
        previous = self.shifted(targets) if self.config.decoder_input == "previous" else None
        return self.decode(self.encode(reversed_ids, lengths), targets.size(1), previous)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
