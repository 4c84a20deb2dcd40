"""embedlab: learn, distill, evaluate and serve text embeddings.

Example:
    >>> import embedlab
    >>> kv = embedlab.load("vectors.bin")                  # doctest: +SKIP
    >>> kv.most_similar("king", topn=3)                    # doctest: +SKIP
"""

from embedlab.errors import DataError, EmbedlabError, MissingExtraError, ModelFormatError
from embedlab.loading import load, load_vectors
from embedlab.static.embeddings import StaticEmbeddings

__version__ = "0.1.0"

__all__ = ["DataError", "EmbedlabError", "MissingExtraError", "ModelFormatError", "StaticEmbeddings", "load",
           "load_vectors", "__version__"]
