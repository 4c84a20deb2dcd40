"""BERT-style masking for DiffCSE's edited sentences.

Each ordinary (non-special, non-padding) token is chosen with probability ``ratio``; a chosen token
becomes the mask token 80% of the time, a random ordinary token 10%, and stays itself 10%. The
generator then fills every chosen position.
"""

from __future__ import annotations

import torch

from embedlab.contrastive.encoder import TokenSpace


def mask_tokens(ids: torch.Tensor, attention: torch.Tensor, tokens: TokenSpace, *, ratio: float = 0.3,
                rng: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """ids (B, L), attention (B, L) -> (masked input (B, L), chosen (B, L) bool).

    Args:
        tokens: the encoder's token space (which ids are special, the mask id).
        ratio: the share of ordinary tokens chosen.
        rng: a CPU generator, for batches that are the same on every run.
    """
    maskable = attention.bool() & ~tokens.special_mask(ids)
    shape = ids.shape
    draws = torch.rand((3, *shape), generator=rng).to(ids.device)
    chosen = (draws[0] < ratio) & maskable
    to_mask = chosen & (draws[1] < 0.8)
    to_random = chosen & ~to_mask & (draws[2] < 0.5)
    ordinary = tokens.ordinary_ids()
    picks = ordinary[torch.randint(len(ordinary), shape, generator=rng)].to(ids.device)
    out = ids.clone()
    out[to_mask] = tokens.mask_id
    out[to_random] = picks[to_random]
    return out, chosen
