"""The trainable sentence-encoder interface shared by SimCSE and DiffCSE.

An encoder owns its tokenizer (``tokenize(texts) -> id lists``, special tokens included) and maps a
padded batch of ids to one vector per sentence (``forward``). Everything the objectives need to know
about its vocabulary (padding, the mask token, which ids are special, each id's string so a generator
with another vocabulary can be bridged to it) is in its ``TokenSpace``. ``encode(list[str])`` makes
any encoder a ``SentenceEncoder`` for the evaluators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from embedlab.blocks.batching import attention_mask, pad
from embedlab.blocks.sentence_encoder import SentenceEncoder


@dataclass(frozen=True)
class TokenSpace:
    """An encoder's vocabulary as the objectives see it.

    Attributes:
        strings: the token of each id.
        pad_id: padding (never attended to).
        mask_id: the token DiffCSE's masking writes.
        unk_id: unknown words.
        special_ids: ids never masked, replaced or scored (padding, [CLS], [SEP], [MASK], ...).
    """

    strings: tuple[str, ...]
    pad_id: int
    mask_id: int
    unk_id: int
    special_ids: frozenset[int]

    def __len__(self) -> int:
        return len(self.strings)

    def ordinary_ids(self) -> torch.Tensor:
        """(n,) ids of every non-special token: what random replacement draws from."""
        return self._ordinary

    def special_mask(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B, L) -> (B, L) bool, True at special tokens."""
        return self._special_table.to(ids.device)[ids]

    # Built once per vocabulary (masking asks for both at every training step).
    @cached_property
    def _ordinary(self) -> torch.Tensor:
        return torch.tensor([i for i in range(len(self.strings)) if i not in self.special_ids], dtype=torch.long)

    @cached_property
    def _special_table(self) -> torch.Tensor:
        table = torch.zeros(len(self.strings), dtype=torch.bool)
        table[list(self.special_ids)] = True
        return table


class TrainableEncoder(nn.Module, SentenceEncoder):
    """Base class: a sentence encoder that SimCSE and DiffCSE can train.

    Subclasses set ``kind``, ``tokens``, ``dim`` and ``max_length`` and implement ``tokenize``,
    ``forward``, ``save`` and ``settings``.
    """

    kind: ClassVar[str]
    tokens: TokenSpace
    dim: int
    max_length: int  # the most tokens (specials included) ``encode`` gives the model

    def tokenize(self, texts: Sequence[str], max_length: int | None = None) -> list[list[int]]:
        """Each text's ids, special tokens included, at most ``max_length`` (default ``self.max_length``)."""
        raise NotImplementedError

    def forward(self, ids: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        """ids (B, L), attention (B, L) 1 at real tokens -> sentence vectors (B, dim)."""
        raise NotImplementedError

    def settings(self) -> dict[str, Any]:
        """What ``save`` records in config.json besides the weights."""
        raise NotImplementedError

    def save(self, folder: str | Path) -> Path:
        """Write the encoder as an embedlab model folder (``embedlab.load`` reads it back)."""
        raise NotImplementedError

    def batch(self, id_lists: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Ragged id lists -> (B, L) ids padded with ``pad_id`` and the (B, L) attention mask."""
        ids, lengths = pad(id_lists, self.tokens.pad_id)
        device = self.device
        return ids.to(device), attention_mask(lengths, ids.size(1)).to(device)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    default_batch_size = 128

    def get_sentence_embedding_dimension(self) -> int:
        return self.dim

    def embed(self, sentences: list[str], *, batch_size: int = 128, show_progress_bar: bool = False,
              **options: Any) -> np.ndarray:
        """Sentence vectors (n, dim) float32, in input order; eval mode (no dropout), no gradient."""
        ids = self.tokenize(sentences)
        order = np.argsort([len(s) for s in ids], kind="stable")
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                for start in tqdm(range(0, len(order), batch_size), desc="encoding", leave=False,
                                  disable=not show_progress_bar):
                    rows = order[start:start + batch_size]
                    batch_ids, attention = self.batch([ids[i] for i in rows])
                    out[rows] = self(batch_ids, attention).float().cpu().numpy()
        finally:
            self.train(was_training)
        return out


def masked_mean(states: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """states (B, L, d), keep (B, L) -> the mean over kept positions (B, d); zeros when none is kept."""
    m = keep.to(states.dtype).unsqueeze(-1)
    return (states * m).sum(1) / m.sum(1).clamp(min=1.0)


def masked_max(states: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """states (B, L, d), keep (B, L) -> the max over kept positions (B, d); zeros when none is kept."""
    filled = states.masked_fill(~keep.bool().unsqueeze(-1), float("-inf")).max(1).values
    return torch.where(torch.isfinite(filled), filled, torch.zeros_like(filled))
