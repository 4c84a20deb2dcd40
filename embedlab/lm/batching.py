"""Token streams cut into truncated-BPTT windows, and the perplexity of a stream.

As in pytorch/examples ``word_language_model``: the stream is cut into ``batch_size`` contiguous
rows (each row a long piece of text that one hidden state walks along), and read ``bptt`` tokens at
a time; the state is carried from window to window and detached (truncated back-propagation).
Under ``torchrun`` the rows are split across ranks, so each rank's state still walks its own text.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from embedlab.blocks.recurrent import Hidden, detach_hidden
from embedlab.errors import EmbedlabError
from embedlab.train.settings_check import check_values


def batchify(stream: np.ndarray | torch.Tensor, batch_size: int, *, rank: int = 0, world: int = 1) -> torch.Tensor:
    """(N,) token ids -> this rank's (batch_size, L) rows; the ragged tail is dropped.

    Raises:
        EmbedlabError: fewer than two tokens per row.
    """
    data = torch.as_tensor(stream, dtype=torch.long)
    rows = batch_size * world
    length = data.numel() // rows
    if length < 2:
        raise EmbedlabError(f"{data.numel()} tokens are too few for {rows} rows of at least 2; "
                            "use a smaller batch size or more text")
    return data[: rows * length].view(rows, length)[rank * batch_size:(rank + 1) * batch_size]


def windows(rows: torch.Tensor, bptt: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(inputs, targets) of shape (B, T <= bptt): targets are the inputs shifted by one."""
    for start in range(0, rows.size(1) - 1, bptt):
        end = min(start + bptt, rows.size(1) - 1)
        yield rows[:, start:end], rows[:, start + 1:end + 1]


def num_windows(length: int, bptt: int) -> int:
    """How many windows ``windows`` yields for rows of ``length`` tokens."""
    return math.ceil((length - 1) / bptt)


@torch.no_grad()
def stream_nll(module: nn.Module, stream: np.ndarray | torch.Tensor, *, batch_size: int = 10,
               bptt: int = 35) -> tuple[float, int]:
    """Summed next-token NLL (nats) over a stream, and how many tokens were predicted.

    The hidden state runs through the whole stream (carried across windows), the evaluation protocol
    of pytorch/examples (eval batch size 10). A stream too short for ``batch_size`` rows is read as one.
    """
    check_values(batch_size=batch_size, bptt=bptt)
    data = torch.as_tensor(stream, dtype=torch.long)
    if data.numel() < 2:
        raise EmbedlabError("need at least two tokens to measure perplexity")
    batch_size = max(1, min(batch_size, data.numel() // 2))
    device = next(module.parameters()).device
    was_training = module.training
    module.eval()
    total, count = 0.0, 0
    hidden: Hidden | None = None
    for x, y in windows(batchify(data, batch_size).to(device), bptt):
        logits, hidden = module(x, hidden)
        hidden = detach_hidden(hidden)
        total += float(F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum"))
        count += y.numel()
    module.train(was_training)
    return total, count


def perplexity(module: nn.Module, stream: np.ndarray | torch.Tensor, **kwargs: int) -> float:
    """exp(mean NLL) of ``stream`` under ``module`` (see ``stream_nll``)."""
    total, count = stream_nll(module, stream, **kwargs)
    return math.exp(total / count)
