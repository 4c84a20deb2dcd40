"""The recurrent cells every embedlab RNN model is built from, and hidden-state helpers.

One place names the cells (``rnn_tanh``, ``rnn_relu``, ``lstm``, ``gru``, the spellings of
pytorch/examples ``word_language_model``) and builds torch's fused multi-layer module for them, so
the language model, the classifier, the tagger and the sentence encoders agree on what a cell is.
"""

from __future__ import annotations

from typing import Literal, get_args

import torch
from torch import nn

from embedlab.errors import EmbedlabError

Cell = Literal["lstm", "gru", "rnn_tanh", "rnn_relu"]
CELLS: tuple[str, ...] = get_args(Cell)

# An LSTM's state is (h, c); the other cells carry h alone. Each is (layers * directions, B, H).
Hidden = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


def make_rnn(cell: str, input_size: int, hidden_size: int, layers: int = 1, *, dropout: float = 0.0,
             bidirectional: bool = False) -> nn.RNNBase:
    """torch's fused, batch-first RNN module for ``cell``.

    Args:
        cell: one of ``CELLS``.
        dropout: between stacked layers (torch applies it to every layer's output but the last).

    Raises:
        EmbedlabError: unknown cell, or a size or layer count below 1.
    """
    if cell not in CELLS:
        raise EmbedlabError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
    if min(input_size, hidden_size, layers) < 1:
        raise EmbedlabError(f"sizes and layers must be >= 1 (input {input_size}, hidden {hidden_size}, layers {layers})")
    between = dropout if layers > 1 else 0.0  # torch warns about dropout on a single layer
    if cell == "lstm":
        return nn.LSTM(input_size, hidden_size, layers, batch_first=True, dropout=between, bidirectional=bidirectional)
    if cell == "gru":
        return nn.GRU(input_size, hidden_size, layers, batch_first=True, dropout=between, bidirectional=bidirectional)
    return nn.RNN(input_size, hidden_size, layers, nonlinearity=cell.removeprefix("rnn_"), batch_first=True,
                  dropout=between, bidirectional=bidirectional)


def detach_hidden(hidden: Hidden | None) -> Hidden | None:
    """Cut the graph behind ``hidden`` (truncated BPTT: carry the values, not the history)."""
    if hidden is None:
        return None
    if isinstance(hidden, tuple):
        return (hidden[0].detach(), hidden[1].detach())
    return hidden.detach()



class SequenceEncoder(nn.Module):
    """A (bi)directional RNN over padded batches: per-token states and one state per sequence.

    Padding never leaks in: the batch is packed by length, so each direction starts and stops at
    the sequence's real ends. ``final`` is the last layer's last state of each direction,
    concatenated (forward after the last token, backward after the first).
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, layers: int = 1, *, dropout: float = 0.0,
                 bidirectional: bool = True) -> None:
        super().__init__()
        self.rnn = make_rnn(cell, input_size, hidden_size, layers, dropout=dropout, bidirectional=bidirectional)
        self.directions = 2 if bidirectional else 1
        self.output_size = hidden_size * self.directions

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, I), lengths (B,) -> states (B, T, D*H) (zeros at padding), final (B, D*H)."""
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu().clamp(min=1), batch_first=True,
                                                   enforce_sorted=False)
        out, hidden = self.rnn(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        h = hidden[0] if isinstance(hidden, tuple) else hidden       # (layers * D, B, H)
        final = h[-self.directions:].transpose(0, 1).reshape(x.size(0), -1)
        return states, final
