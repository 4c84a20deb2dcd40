"""Contrastive sentence encoders: SimCSE and DiffCSE over pluggable encoders (docs/METHODS.md E).

- ``encoder``: the trainable interface every encoder implements (ids in, one vector per sentence out).
- ``transformer``, ``rnn``, ``bag``: the three encoders (a Hugging Face model, a bidirectional RNN over
  static vectors, a trainable bag of static vectors).
- ``simcse``: SimCSE's views and InfoNCE loss; ``diffcse``: DiffCSE's masking, edited sentences,
  conditional discriminator and replaced-token-detection loss; ``heads``, ``generators``: their parts.
- ``training``: one task for SimCSE (unsupervised or supervised) and DiffCSE on the generic loop.
- ``mlm``: a small masked language model trained on the corpus, a DiffCSE generator.
- ``export``: the trained encoder as a sentence-transformers folder.
"""

from embedlab.contrastive.encoder import TokenSpace, TrainableEncoder
from embedlab.contrastive.encoders import build_encoder, load_sentence_encoder
from embedlab.contrastive.training import ContrastiveTrainConfig, train_contrastive

__all__ = ["ContrastiveTrainConfig", "TokenSpace", "TrainableEncoder", "build_encoder", "load_sentence_encoder",
           "train_contrastive"]
