"""Adam and AdamW for embedlab's tasks, on torch's fused kernels wherever they run.

The fused kernel does the whole update in one pass over each parameter instead of the several passes
of the default (``foreach``) one: the same update up to float rounding, and faster when the step is
dominated by large tables (a transformer's or a word model's embeddings). transformers' Trainer (so
sentence-transformers' trainer) picks it by default on torch >= 2.8 for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

FUSED_DEVICES = ("cpu", "cuda")  # where every torch this package allows has fused Adam(W)


def fusable(params: Iterable[torch.Tensor]) -> bool:
    """Whether torch's fused Adam(W) kernel takes these parameters (dense floating tensors on one such device)."""
    params = list(params)
    devices = {p.device.type for p in params}
    return (bool(params) and len(devices) == 1 and devices <= set(FUSED_DEVICES)
            and all(p.is_floating_point() and not p.is_sparse for p in params))


def adam(params: Iterable[torch.Tensor] | Iterable[dict[str, Any]], *, lr: float, decoupled: bool = False,
         **options: Any) -> torch.optim.Optimizer:
    """``torch.optim.AdamW`` (``decoupled``) or ``Adam`` over ``params`` (tensors or param groups), fused where possible.

    ``options`` go to the optimizer as they are (betas, weight_decay, ...). AdamW's weight decay
    defaults to 0 here, not torch's 0.01: every embedlab task says which decay it wants.
    """
    groups: list[Any] = list(params)
    tensors: list[torch.Tensor] = [p for g in groups for p in (g["params"] if isinstance(g, dict) else [g])]
    kind = torch.optim.AdamW if decoupled else torch.optim.Adam
    options.setdefault("weight_decay", 0.0)
    return kind(groups, lr=lr, fused=fusable(tensors), **options)
