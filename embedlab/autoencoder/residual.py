"""The gate-free residual recurrent layer of Wilkerson's invertible sentence autoencoder.

One step (docs/METHODS.md D)::

    a_t = tanh(W1 x_t + U tanh(h_{t-1}) + b1)
    h_t = h_{t-1} + W2 a_t + b2
    h_t <- h_t + W tanh(V tanh(h_t) + W0 x_t + b) + b'     (each optional extra block)

The state is updated by addition, so the gradient reaches early steps through the identity path
without gates. CPU efficiency: every input projection (W1 x_t and each block's W0 x_t) is one matmul
over all steps before the loop; inside the loop each step is two ``addmm`` calls per block on
contiguous (B, H) rows, which is what PyTorch's fused RNN kernels do too.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

UPDATE_INIT_SCALE = 0.1


def _small_update(layer: nn.Linear) -> None:
    """Start a residual branch small (weights x 0.1, zero bias).

    h is a running sum: with torch's default init the updates (and a constant bias) pile up, tanh(h)
    saturates within ~20 steps and the gradient through it vanishes. Small updates keep h of order
    one over sentence lengths at the start; training grows them where needed.
    """
    with torch.no_grad():
        layer.weight.mul_(UPDATE_INIT_SCALE)
        if layer.bias is not None:
            layer.bias.zero_()


class ResidualBlock(nn.Module):
    """``h <- h + W tanh(V tanh(h) + W0 x + b) + b'``; ``W0 x`` comes precomputed."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input = nn.Linear(input_size, hidden_size)                # W0, b
        self.inner = nn.Linear(hidden_size, hidden_size, bias=False)   # V
        self.out = nn.Linear(hidden_size, hidden_size)                 # W, b'

    def step(self, h: torch.Tensor, wx: torch.Tensor) -> torch.Tensor:
        """h (B, H), wx = W0 x_t + b (B, H) -> the updated h (B, H)."""
        a = torch.tanh(torch.addmm(wx, torch.tanh(h), self.inner.weight.t()))
        return h + torch.addmm(self.out.bias, a, self.out.weight.t())


class ResidualRNN(nn.Module):
    """A residual recurrent layer over batch-first sequences.

    Args:
        input_size: size of x_t.
        hidden_size: size of h_t (and of every block's inner activation).
        extra_blocks: residual blocks applied after the main update at every step.

    ``forward`` takes either per-step inputs (B, T, I) or one input (B, I) repeated for ``steps``
    steps (the autoencoder's decoder sees the sentence vector at every step: its projection is then
    computed once, not T times).
    """

    def __init__(self, input_size: int, hidden_size: int, extra_blocks: int = 0) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.input = nn.Linear(input_size, hidden_size)                 # W1, b1
        self.recurrent = nn.Linear(hidden_size, hidden_size, bias=False)  # U
        self.update = nn.Linear(hidden_size, hidden_size)               # W2, b2
        self.blocks = nn.ModuleList(ResidualBlock(input_size, hidden_size) for _ in range(extra_blocks))
        for update in [self.update, *(block.out for block in self._blocks())]:
            _small_update(update)

    def _blocks(self) -> list[ResidualBlock]:
        return [cast(ResidualBlock, block) for block in self.blocks]

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None, *, steps: int | None = None,
                added: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, T, I), or (B, I) with ``steps`` -> states h_1..h_T (B, T, H).

        ``added`` (B, H), when given, joins every step's input projection W1 x_t (a per-sequence input,
        such as the decoder's sentence vector, projected once instead of at every step).
        """
        if x.dim() == 2:
            if steps is None:
                raise ValueError("a (B, I) input repeats for `steps` steps; pass steps=")
            repeat = True
            batch, length = x.size(0), steps
        else:
            repeat = False
            batch, length = x.size(0), x.size(1)
        wx = self.input(x)                                    # (B, T, H) or (B, H): all steps at once
        if added is not None:
            wx = wx + (added if repeat else added.unsqueeze(1))
        blocks = self._blocks()
        block_wx = [block.input(x) for block in blocks]
        h = h0 if h0 is not None else x.new_zeros(batch, self.hidden_size)
        u_t, w2_t, b2 = self.recurrent.weight.t(), self.update.weight.t(), self.update.bias
        states = []
        for t in range(length):
            a = torch.tanh(torch.addmm(wx if repeat else wx[:, t], torch.tanh(h), u_t))  # (B, H)
            h = h + torch.addmm(b2, a, w2_t)
            for block, bwx in zip(blocks, block_wx, strict=True):
                h = block.step(h, bwx if repeat else bwx[:, t])
            states.append(h)
        return torch.stack(states, dim=1)
