"""Shared batching pieces (padded batches, seeded shuffled batches, a shuffling task), for the supervised
RNN models, the autoencoder and the contrastive trainers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np
import torch
from torch import nn

from embedlab.data.vocab import UNK
from embedlab.train.optim import adam

PAD = "<pad>"
SPECIALS = (PAD, UNK)  # pad id 0 (never trained), unk id 1

Example = TypeVar("Example")


def pad(seqs: Sequence[Sequence[int]], value: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Ragged id lists -> (B, T) long tensor padded with ``value``, and the (B,) lengths."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    out = torch.full((len(seqs), max(1, int(lengths.max()) if len(seqs) else 1)), value, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return out, lengths


def shuffled_batches(n: int, size: int, seed: int, epoch: int, rank: int,
                     world: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """(epoch, batch number, row indices) of this rank's full batches: the same order for the same (seed, epoch).

    Only full batches (a contrastive batch's size is its number of negatives), and the same number
    for every rank (the last ``batches % world`` are left out): the ranks gather each other's
    sentence vectors every step, so none may stop early.
    """
    order = np.random.default_rng((seed, epoch)).permutation(n)
    usable = (n // size) // world * world
    for i in range(rank, usable, world):
        yield epoch, i, order[i * size:(i + 1) * size]


def attention_mask(lengths: torch.Tensor, width: int) -> torch.Tensor:
    """(B,) lengths -> (B, width) long mask, 1 on real tokens (what Hugging Face models take)."""
    return (torch.arange(width)[None, :] < lengths[:, None]).long()


class ShuffledTask(Generic[Example]):
    """A ``TrainingTask`` over a list of examples: reshuffled every epoch (seeded), rank-strided.

    Args:
        model: the network.
        examples: the training examples.
        collate: (examples, epoch rng) -> batch (the rng drives augmentation such as word dropout).
        loss_fn: (model, batch) -> scalar loss.
        units_fn: tokens in a batch (for tokens/s).
    """

    def __init__(self, model: nn.Module, examples: Sequence[Example], *, batch_size: int, seed: int, lr: float,
                 collate: Callable[[list[Example], np.random.Generator], Any],
                 loss_fn: Callable[[nn.Module, Any], torch.Tensor], units_fn: Callable[[Any], int]) -> None:
        self.model = model
        self.examples = list(examples)
        self.batch_size = batch_size
        self.seed = seed
        self.lr = lr
        self.collate = collate
        self.loss_fn = loss_fn
        self.units_fn = units_fn

    def steps_per_epoch(self, world: int = 1) -> int:
        return -(-len(self.examples) // (self.batch_size * world))

    def optimizers(self, model: nn.Module) -> list[torch.optim.Optimizer]:
        return [adam([p for p in model.parameters() if p.requires_grad], lr=self.lr)]

    def batches(self, epoch: int, rank: int, world: int) -> Iterator[Any]:
        rng = np.random.default_rng([self.seed, epoch])
        order = rng.permutation(len(self.examples))
        for index, start in enumerate(range(0, len(order), self.batch_size)):
            if index % world == rank:
                yield self.collate([self.examples[i] for i in order[start:start + self.batch_size]], rng)

    def loss(self, model: nn.Module, batch: Any) -> torch.Tensor:
        return self.loss_fn(model, batch)

    def units(self, batch: Any) -> int:
        return self.units_fn(batch)
