"""Sampling text from a language model: temperature, top-k and top-p (nucleus), from a prompt."""

from __future__ import annotations

import torch
from torch import nn

from embedlab.blocks.recurrent import Hidden
from embedlab.errors import EmbedlabError
from embedlab.train.settings_check import USE_RULES, check_values


def filter_logits(logits: torch.Tensor, *, temperature: float = 1.0, top_k: int = 0,
                  top_p: float = 1.0) -> torch.Tensor:
    """(V,) logits -> (V,) probabilities after temperature, top-k and top-p.

    ``temperature`` 0 means greedy (all mass on the arg-max). ``top_k`` 0 and ``top_p`` 1 are off.
    Top-p keeps the smallest set of most likely tokens whose probabilities sum to at least ``top_p``.
    """
    check_values(rules=USE_RULES, temperature=temperature, top_k=top_k, top_p=top_p)
    logits = logits.float()
    if temperature == 0:
        probs = torch.zeros_like(logits)
        probs[int(logits.argmax())] = 1.0
        return probs
    logits = logits / temperature
    if 0 < top_k < logits.numel():
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = probs.sort(descending=True)
        before = sorted_probs.cumsum(0) - sorted_probs  # mass of the strictly more likely tokens
        drop = order[before >= top_p]
        probs[drop] = 0.0
        probs = probs / probs.sum()
    return probs


@torch.no_grad()
def sample(module: nn.Module, prompt_ids: list[int], *, max_tokens: int = 50, temperature: float = 1.0,
           top_k: int = 0, top_p: float = 1.0, seed: int | None = None, banned: tuple[int, ...] = (),
           stop_id: int | None = None) -> list[int]:
    """Continue ``prompt_ids`` token by token; returns only the new ids.

    Args:
        module: a language model, ``module(ids (1, T), hidden) -> (logits (1, T, V), hidden)``.
        banned: ids never sampled (e.g. ``<unk>``).
        stop_id: stop after sampling this id (e.g. ``<eos>``); None runs to ``max_tokens``.
    """
    check_values(rules=USE_RULES, max_tokens=max_tokens, temperature=temperature, top_k=top_k, top_p=top_p)
    if not prompt_ids:
        raise EmbedlabError("the prompt is empty; give at least one token (e.g. the end-of-sentence token)")
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    device = next(module.parameters()).device
    was_training = module.training
    module.eval()
    hidden: Hidden | None = None
    logits, hidden = module(torch.tensor([prompt_ids], device=device), hidden)
    out: list[int] = []
    for _ in range(max_tokens):
        last = logits[0, -1].cpu()
        if banned:
            last[list(banned)] = float("-inf")
        probs = filter_logits(last, temperature=temperature, top_k=top_k, top_p=top_p)
        token = int(torch.multinomial(probs, 1, generator=generator))
        out.append(token)
        if token == stop_id:
            break
        logits, hidden = module(torch.tensor([[token]], device=device), hidden)
    module.train(was_training)
    return out
