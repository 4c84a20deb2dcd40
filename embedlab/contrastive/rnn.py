"""A bidirectional recurrent sentence encoder over (static) word vectors, trainable by SimCSE/DiffCSE.

Dropout on the word vectors and on the states is what makes SimCSE's two views differ; the pooled
vector is the mean, max or last state of the last layer (both directions concatenated).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn

from embedlab.blocks.recurrent import SequenceEncoder
from embedlab.contrastive.encoder import TrainableEncoder, masked_max, masked_mean
from embedlab.contrastive.words import WordTokens, word_embedding, word_token_space
from embedlab.data.vocab import Vocab
from embedlab.errors import EmbedlabError

RnnPooler = Literal["mean", "max", "last"]
RNN_POOLERS: tuple[str, ...] = ("mean", "max", "last")


class RNNSentenceEncoder(WordTokens, TrainableEncoder):
    """Word vectors -> (bi)directional LSTM/GRU -> pooled sentence vector of size ``hidden * directions``.

    Args:
        vocab: ``WORD_SPECIALS`` first, then the words.
        emb: word-vector size (the static vectors' size when they are given).
        vectors: static vectors to start the table from (``StaticEmbeddings``), or ``None``.
        cell: ``lstm`` or ``gru`` (any of ``embedlab.blocks.recurrent.CELLS``).
        dropout: on word vectors and states in training (SimCSE's augmentation).
    """

    kind = "rnn"
    setting_keys = ("emb", "hidden", "layers", "cell", "bidirectional", "pooler", "dropout", "max_length")

    def __init__(self, vocab: Vocab, *, emb: int = 300, hidden: int = 256, layers: int = 1, cell: str = "gru",
                 bidirectional: bool = True, pooler: RnnPooler = "mean", dropout: float = 0.1, max_length: int = 128,
                 vectors: Any = None) -> None:
        super().__init__()
        if pooler not in RNN_POOLERS:
            raise EmbedlabError(f"unknown RNN pooler {pooler!r}; choose one of {', '.join(RNN_POOLERS)}")
        self.vocab = vocab
        self.tokens = word_token_space(vocab)
        self.emb = vectors.dim if vectors is not None else emb
        self.embedding = word_embedding(vocab, self.emb, vectors)
        self.rnn = SequenceEncoder(cell, self.emb, hidden, layers, dropout=dropout, bidirectional=bidirectional)
        self.drop = nn.Dropout(dropout)
        self.cell, self.hidden, self.layers, self.bidirectional = cell, hidden, layers, bidirectional
        self.pooler, self.dropout, self.max_length = pooler, dropout, max_length
        self.dim = self.rnn.output_size

    def forward(self, ids: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.embedding(ids))                          # (B, L, e)
        states, final = self.rnn(x, attention.sum(1))               # (B, L, D*H), (B, D*H)
        states = self.drop(states)
        if self.pooler == "mean":
            return masked_mean(states, attention)
        if self.pooler == "max":
            return masked_max(states, attention)
        return self.drop(final)
