"""DiffCSE's discriminator: which tokens of the edited sentence were replaced, given the sentence vector.

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

from __future__ import annotations

import torch
from torch import nn


class ConditionalDiscriminator(nn.Module):
    """Args: vocab_size of the encoder's tokens, sentence_dim of h, and the transformer's size."""

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
