"""The two things evaluation knows about: word vectors and sentence encoders.

Evaluators depend only on these protocols, so they score anyone's embeddings: embedlab's own
``StaticEmbeddings``, a gensim ``KeyedVectors``, a model2vec ``StaticModel`` (through
``as_word_vectors``) or a sentence-transformers model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class WordVectors(Protocol):
    """A table of word vectors, row ``i`` belonging to ``index_to_key[i]``.

    Rows are expected in decreasing frequency order where frequencies are known (as in gensim and
    word2vec files): ``restrict_vocab=N`` means "the N first rows", and when two keys differ only in
    case the earlier row wins in case-insensitive evaluation.
    gensim's ``KeyedVectors`` satisfies this protocol as it is.
    """

    index_to_key: list[str]
    key_to_index: dict[str, int]

    @property
    def vectors(self) -> np.ndarray:  # (V, d)
        ...


@runtime_checkable
class SentenceEncoder(Protocol):
    """Anything with ``encode(list[str]) -> np.ndarray (n, d)``.

    sentence-transformers' ``SentenceTransformer``, model2vec's ``StaticModel`` and embedlab's
    ``StaticEmbeddings`` all satisfy it.
    """

    def encode(self, sentences: Sequence[str], *args: Any, **kwargs: Any) -> Any: ...
