"""A bag of static word vectors as a trainable sentence encoder (model2vec's shape, trained by SimCSE/DiffCSE).

Untrained, it is exactly the mean of the static vectors of a sentence's known words. In training,
dropout on the word vectors makes SimCSE's two views; the table itself is what learns.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn

from embedlab.contrastive.encoder import TrainableEncoder, masked_max, masked_mean
from embedlab.contrastive.words import WORD_SPECIALS, WordTokens, word_embedding, word_token_space
from embedlab.data.vocab import Vocab
from embedlab.errors import EmbedlabError

BagPooler = Literal["mean", "max"]
BAG_POOLERS: tuple[str, ...] = ("mean", "max")


class BagSentenceEncoder(WordTokens, TrainableEncoder):
    """Word vectors of the known words of a sentence, pooled (mean or max); unknown words are skipped.

    Args:
        vocab: ``WORD_SPECIALS`` first, then the words.
        emb: vector size (the static vectors' size when they are given).
        vectors: static vectors to start the table from, or ``None`` (random start).
        dropout: on the word vectors' components in training.
        word_dropout: the chance each word is left out of the pool in training (a sentence keeps at
            least one word). Two views of a bag differ little by component dropout alone: averaging
            twenty noisy vectors leaves the mean nearly unchanged, so SimCSE learns little.
    """

    kind = "bag"
    setting_keys = ("emb", "pooler", "dropout", "word_dropout", "max_length")

    def __init__(self, vocab: Vocab, *, emb: int = 300, pooler: BagPooler = "mean", dropout: float = 0.1,
                 word_dropout: float = 0.3, max_length: int = 128, vectors: Any = None) -> None:
        super().__init__()
        if pooler not in BAG_POOLERS:
            raise EmbedlabError(f"unknown bag pooler {pooler!r}; choose one of {', '.join(BAG_POOLERS)}")
        self.vocab = vocab
        self.tokens = word_token_space(vocab)
        self.emb = vectors.dim if vectors is not None else emb
        self.embedding = word_embedding(vocab, self.emb, vectors)
        self.drop = nn.Dropout(dropout)
        self.pooler, self.dropout, self.word_dropout, self.max_length = pooler, dropout, word_dropout, max_length
        self.dim = self.emb

    def forward(self, ids: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        known = attention.bool() & (ids != self.tokens.unk_id)     # (B, L)
        if self.training and self.word_dropout > 0:
            kept = known & (torch.rand(ids.shape, device=ids.device) >= self.word_dropout)
            known = torch.where(kept.any(1, keepdim=True), kept, known)
        vectors = self.drop(self.embedding(ids))                    # (B, L, e)
        return masked_mean(vectors, known) if self.pooler == "mean" else masked_max(vectors, known)

    def static_embeddings(self) -> Any:
        """The (trained) table as ``StaticEmbeddings`` (specials dropped), e.g. to export for model2vec."""
        from embedlab.static.embeddings import StaticEmbeddings

        n = len(WORD_SPECIALS)
        return StaticEmbeddings(self.vocab.itos[n:], self.embedding.weight.detach()[n:].cpu().numpy().copy(),
                                self.vocab.counts[n:], lowercase=self.vocab.lowercase, source="embedlab bag encoder")
