"""The recurrent language model: embedding -> stacked RNN -> softmax, with weight tying.

As in pytorch/examples ``word_language_model``, with the pieces of Press & Wolf (EACL 2017):

- ``tied``: the output layer's weight IS the input embedding (one Parameter, ``decoder.weight is
  embedding.weight``). The last hidden size must equal the embedding size; otherwise set
  ``tie_projection`` to put a learned Linear(hidden, emb) in between, or get an error that says so.
- ``proj_reg`` > 0: a square projection P (plus bias) before the tied output layer,
  ``logits = (h P + b_P) U^T + b``, and ``proj_reg * ||P||^2`` added to the loss
  (``projection_penalty``); the paper's recipe for training without dropout. P starts as the identity.
- dropout on the embeddings, between layers and on the RNN outputs, each settable.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from embedlab.blocks.config import ModelConfig
from embedlab.blocks.recurrent import Hidden, make_rnn
from embedlab.errors import EmbedlabError


@dataclass
class LMConfig(ModelConfig):
    """Sizes and regularization of a language model (saved as config.json).

    Attributes:
        vocab_size: rows of the embedding and of the softmax.
        cell: ``lstm``, ``gru``, ``rnn_tanh`` or ``rnn_relu``.
        emb: embedding size.
        hidden: hidden size of every layer.
        layers: stacked layers.
        dropout_emb / dropout_rnn / dropout_out: on embeddings, between layers, on the last outputs.
        tied: share the input and output embeddings.
        tie_projection: with ``tied`` and hidden != emb, project hidden -> emb (else that is an error).
        proj_reg: lambda of the projection regularization (0 = no projection P).
    """

    vocab_size: int
    cell: str = "lstm"
    emb: int = 200
    hidden: int = 200
    layers: int = 2
    dropout_emb: float = 0.0
    dropout_rnn: float = 0.0
    dropout_out: float = 0.0
    tied: bool = False
    tie_projection: bool = False
    proj_reg: float = 0.0



class RNNLanguageModel(nn.Module):
    """Next-token model over a fixed vocabulary. See the module docstring for tying and P."""

    def __init__(self, config: LMConfig) -> None:
        super().__init__()
        c = config
        if c.proj_reg and not c.tied:
            raise EmbedlabError("the projection regularization (proj_reg) applies to a tied model; add tied=True")
        if c.tied and c.hidden != c.emb and not c.tie_projection:
            raise EmbedlabError(
                f"weight tying needs the last hidden size ({c.hidden}) to equal the embedding size ({c.emb}): "
                "set hidden = emb, or tie_projection=True (CLI --tie-projection) for a learned hidden->emb projection")
        self.config = c
        self.embedding = nn.Embedding(c.vocab_size, c.emb)
        self.drop_emb = nn.Dropout(c.dropout_emb)
        self.rnn = make_rnn(c.cell, c.emb, c.hidden, c.layers, dropout=c.dropout_rnn)
        self.drop_out = nn.Dropout(c.dropout_out)
        out_size = c.hidden
        self.bridge: nn.Linear | None = None
        if c.tied and c.hidden != c.emb:
            self.bridge = nn.Linear(c.hidden, c.emb)
            out_size = c.emb
        self.projection: nn.Linear | None = nn.Linear(c.emb, c.emb) if c.proj_reg else None
        self.decoder = nn.Linear(out_size, c.vocab_size)
        if c.tied:
            self.decoder.weight = self.embedding.weight
        self._init_weights()

    def _init_weights(self) -> None:
        # pytorch/examples: uniform(-0.1, 0.1) embeddings and decoder, zero decoder bias
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        if not self.config.tied:
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        if self.projection is not None:
            # P starts as the identity: training begins from the plain tied model, and the penalty
            # then shrinks P (a random P at SGD lr 20 made the first hundreds of steps unstable)
            nn.init.eye_(self.projection.weight)
            nn.init.zeros_(self.projection.bias)

    def forward(self, ids: torch.Tensor, hidden: Hidden | None = None) -> tuple[torch.Tensor, Hidden]:
        """ids (B, T) -> logits (B, T, V), the new hidden state ((layers, B, H), or (h, c))."""
        x = self.drop_emb(self.embedding(ids))          # (B, T, E)
        out, hidden = self.rnn(x, hidden)                # (B, T, H)
        out = self.drop_out(out)
        if self.bridge is not None:
            out = self.bridge(out)                       # (B, T, E)
        if self.projection is not None:
            out = self.projection(out)                   # (B, T, E): h P + b_P
        return self.decoder(out), hidden                 # (B, T, V)

    def projection_penalty(self) -> torch.Tensor:
        """``proj_reg * ||P||_F^2`` (zero without a projection); add it to the loss."""
        if self.projection is None:
            return torch.zeros((), device=self.embedding.weight.device)
        return self.config.proj_reg * self.projection.weight.pow(2).sum()

    @property
    def input_embedding(self) -> torch.Tensor:
        """(V, E): row i feeds token i into the network."""
        return self.embedding.weight

    @property
    def output_embedding(self) -> torch.Tensor:
        """(V, E or H): row i scores token i in the softmax (the same tensor when tied)."""
        return self.decoder.weight

    def num_parameters(self) -> int:
        """Trainable parameters, a tied matrix counted once."""
        return sum(p.numel() for p in self.parameters())
