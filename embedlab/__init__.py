"""embedlab: learn, distill, evaluate and serve text embeddings.

One way in: ``embedlab.load`` opens any model or vectors, and every model that turns sentences into
vectors has sentence-transformers' ``encode``. One function per method trains one.

Example:
    >>> import embedlab
    >>> kv = embedlab.load("googlenews-13k")                # doctest: +SKIP
    >>> kv.most_similar("king", topn=3)                    # doctest: +SKIP
    >>> kv.encode(["a cat sat", "a dog ran"]).shape         # doctest: +SKIP
    (2, 300)
"""

from embedlab.api import (
    distill,
    train_autoencoder,
    train_cbow,
    train_classifier,
    train_diffcse,
    train_lm,
    train_simcse,
    train_tagger,
)
from embedlab.errors import DataError, EmbedlabError, MissingExtraError, ModelFormatError
from embedlab.loading import load, load_encoder, load_vectors
from embedlab.static.embeddings import StaticEmbeddings

__version__ = "0.1.0"

__all__ = ["DataError", "EmbedlabError", "MissingExtraError", "ModelFormatError", "StaticEmbeddings", "distill",
           "load", "load_encoder", "load_vectors", "train_autoencoder", "train_cbow", "train_classifier",
           "train_diffcse", "train_lm", "train_simcse", "train_tagger", "__version__"]
