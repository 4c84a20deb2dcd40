"""DiffCSE (Chuang et al., 2022, "DiffCSE: Difference-based Contrastive Learning for Sentence
Embeddings"): SimCSE plus replaced-token detection conditioned on the sentence vector.

Per batch, on top of SimCSE (``simcse.py``):

1. ``mask_tokens``: each ordinary token is chosen with probability ``ratio`` (0.3), BERT-style;
2. the frozen generator (``generators.py``) fills the chosen positions: the edited sentence x'';
3. ``ConditionalDiscriminator`` reads x'' and the original sentence's vector h and scores each token
   "replaced or not";
4. ``rtd_loss``: binary cross-entropy over the scored (non-special) positions, weighted by
   lambda (0.005) and added to the contrastive loss. Its gradient reaches the encoder only through h,
   so h must carry what the edits removed.

What embedlab does differently: the discriminator is small and trained from scratch, so h also
enters every token and a bilinear fit term (see ``ConditionalDiscriminator``); the paper's is a
pretrained BERT. docs/METHODS.md E has the equations and the paper's numbers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from embedlab.contrastive.encoder import TokenSpace
from embedlab.contrastive.generators import Generator


# --- 1. masking ------------------------------------------------------------------------------------
def mask_tokens(ids: torch.Tensor, attention: torch.Tensor, tokens: TokenSpace, *, ratio: float = 0.3,
                rng: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """ids (B, L), attention (B, L) -> (masked input (B, L), chosen (B, L) bool).

    Each ordinary (non-special, non-padding) token is chosen with probability ``ratio``; a chosen token
    becomes the mask token 80% of the time, a random ordinary token 10%, and stays itself 10%. The
    generator then fills every chosen position.

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


def edit_sentences(ids: torch.Tensor, attention: torch.Tensor, tokens: TokenSpace, generator: Generator, *,
                   ratio: float, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Steps 1-2: ids (B, L), attention (B, L) -> (edited x'' (B, L), scored (B, L) bool: the positions
    the discriminator is judged on, every real non-special token). No gradient (the generator is frozen)."""
    with torch.no_grad():
        masked, chosen = mask_tokens(ids, attention, tokens, ratio=ratio, rng=rng)
        edited = generator.fill(masked, attention, chosen, ids, rng)
    return edited, attention.bool() & ~tokens.special_mask(ids)


# --- 3. the discriminator --------------------------------------------------------------------------
class ConditionalDiscriminator(nn.Module):
    """Which tokens of the edited sentence were replaced, given the original sentence's vector h.

    Args: vocab_size of the encoder's tokens, sentence_dim of h, and the transformer's size.

    A small transformer over [h; edited tokens]: the original sentence's vector ``h`` (projected) takes
    the first position, where the paper puts it in place of [CLS], and is also added to every token's
    input; each token's score adds its fit to ``h`` (a bilinear term). The only way its loss reaches the
    encoder is through ``h``, so the encoder must make ``h`` carry what the edits removed. Thrown away
    after training.

    Why the extra paths to ``h``: a small discriminator trained from scratch spots most replacements of a
    weak generator from the context alone. With ``h`` at the first position only, it learned to ignore
    ``h`` (its loss with ``h`` shuffled across the batch equalled its loss with the true ``h``; the RTD
    gradient reaching the encoder was 1e-5 to 1e-4 of the contrastive one over the first 150 steps). On
    sentences of random words, where only ``h`` can tell, it stayed at the prior without the bilinear
    term even with ``h`` added to every token. The paper's discriminator is a pretrained BERT facing a
    DistilBERT generator's plausible replacements.
    """

    def __init__(self, vocab_size: int, sentence_dim: int, *, hidden: int = 256, layers: int = 2, heads: int = 4,
                 max_length: int = 512, dropout: float = 0.1) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, hidden)
        self.position = nn.Embedding(max_length + 1, hidden)
        self.condition = nn.Linear(sentence_dim, hidden)
        layer = nn.TransformerEncoderLayer(hidden, heads, 4 * hidden, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, 1)
        self.match = nn.Linear(sentence_dim, hidden)

    def forward(self, edited: torch.Tensor, attention: torch.Tensor, sentence: torch.Tensor) -> torch.Tensor:
        """edited (B, L) ids, attention (B, L), sentence (B, d) -> replaced logits (B, L)."""
        b, length = edited.shape
        c = self.condition(sentence).unsqueeze(1)                                          # (B, 1, h)
        x = torch.cat([c, self.embed(edited) + c], dim=1)                                  # (B, L+1, h)
        x = x + self.position(torch.arange(length + 1, device=edited.device))
        padding = torch.cat([torch.zeros(b, 1, dtype=torch.bool, device=edited.device), attention == 0], dim=1)
        y = self.norm(self.encoder(x, src_key_padding_mask=padding)[:, 1:])                 # (B, L, h)
        fit = (y @ self.match(sentence).unsqueeze(-1)).squeeze(-1) / y.size(-1) ** 0.5    # (B, L): token vs h
        return self.out(y).squeeze(-1) - fit                                               # (B, L)


# --- 4. the loss -----------------------------------------------------------------------------------
def rtd_loss(logits: torch.Tensor, replaced: torch.Tensor, scored: torch.Tensor) -> torch.Tensor:
    """logits (B, L), replaced (B, L) bool targets, scored (B, L) bool positions -> mean BCE over scored ones."""
    keep = scored.bool()
    if not bool(keep.any()):
        return logits.sum() * 0.0  # keeps the graph (and DDP's gradient bookkeeping) intact
    return F.binary_cross_entropy_with_logits(logits[keep], replaced[keep].to(logits.dtype))


def replaced_token_detection(discriminator: nn.Module, original: torch.Tensor, edited: torch.Tensor,
                             attention: torch.Tensor, scored: torch.Tensor, h: torch.Tensor, *,
                             probe_condition: bool = False) -> tuple[torch.Tensor, dict[str, float]]:
    """Steps 3-4: original/edited/attention/scored (B, L), h (B, d) the original sentences' vectors
    (before the training head) -> (rtd loss, stats).

    Stats: ``rtd``, ``rtd_acc`` (share of scored tokens judged right), ``replaced`` (share replaced)
    and, with ``probe_condition``, ``rtd_h_gain``: the loss with h shuffled across the batch minus the
    true one (no gradient), i.e. how much the discriminator uses h.
    """
    logits = discriminator(edited, attention, h)                                   # (B, L)
    replaced = edited != original
    rtd = rtd_loss(logits, replaced, scored)
    with torch.no_grad():
        keep = scored.bool()
        right = ((logits > 0) == replaced)[keep].float().mean() if keep.any() else torch.tensor(0.0)
        stats = {"rtd": float(rtd.detach()), "rtd_acc": float(right),
                 "replaced": float(replaced[keep].float().mean()) if keep.any() else 0.0}
        if probe_condition and h.size(0) > 1:
            shuffled = discriminator(edited, attention, h.roll(1, dims=0))
            stats["rtd_h_gain"] = float(rtd_loss(shuffled, replaced, scored) - rtd.detach())
    return rtd, stats
