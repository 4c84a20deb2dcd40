"""The autoencoder's vocabulary and word-vector table, from a corpus and any word vectors.

Words are the corpus's frequent tokens. A word the vectors know gets its vector; one they lack
(punctuation, symbols, rare names) gets a fixed random vector, as the paper does for symbols, so it
can still be reconstructed; unknown words share ``<unk>``. ``<eos>`` (end of sentence) gets a random
vector too; ``<pad>`` is a zero row that is never a decoding candidate.

The pretrained rows are centred (their mean subtracted) and whitened (rotated to their principal
axes, each scaled to unit variance): distilled static vectors often share one large direction
(embedlab's X2Static vectors: mean cosine 0.83 between words) and spread the rest over few others,
and regressing onto such vectors rewards predicting the common directions while cosine decoding needs
the small rest. Whitening doubled the word accuracy reached in 1,000 steps on X2Static vectors (13.8%
vs 7.1%), to what the paper's GoogleNews vectors reach. Every row is then scaled to norm sqrt(d)
(components of order 1), for input and target alike.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from embedlab.blocks.pretrained import build_vocab, pretrained_rows
from embedlab.data.vocab import UNK, Vocab
from embedlab.errors import EmbedlabError

logger = logging.getLogger(__name__)

PAD, EOS = "<pad>", "<eos>"
SPECIALS = (PAD, UNK, EOS)   # ids 0, 1, 2


def build_table(token_lists: Iterable[Sequence[str]], vectors: Any, *, max_vocab: int = 30000,
                min_count: int = 2, lowercase: bool = True, center: bool = True, whiten: bool = True,
                dim: int | None = None, unit_rows: bool = True, scale: float = 1.0,
                seed: int = 0) -> tuple[Vocab, np.ndarray, dict[str, int]]:
    """The vocabulary (``SPECIALS`` first, then words by count) and its (V, d) float32 table.

    Args:
        token_lists: tokenized training sentences.
        vectors: a ``StaticEmbeddings`` (or anything with ``key_to_index``, ``vectors``, ``dim``).
        max_vocab / min_count: which corpus words get their own row.
        center: subtract the mean of the (unit-length) pretrained rows.
        whiten: then give every principal direction of them unit variance (needs ``center`` and more
            pretrained rows than dimensions; skipped otherwise).
        dim: keep at most the ``dim`` principal directions of largest variance (PCA; needs ``whiten``,
            otherwise all are kept, with a warning): small regression targets, so a sentence vector of
            a given size holds more words.
        unit_rows: scale every row to norm sqrt(d) (components of order 1); ``False``: standardize
            every dimension instead (the paper's code).
        scale: multiply the table by this afterwards (the paper's code: 0.05).

    Returns:
        vocab, table and counts ``{"pretrained", "random", "vocab"}``.
    """
    token_lists = list(token_lists)
    if not any(token_lists):
        raise EmbedlabError("the training text has no words")
    vocab = build_vocab(token_lists, specials=SPECIALS, min_count=min_count, max_size=max_vocab, lowercase=lowercase)
    source_dim = int(vectors.dim)
    pretrained, sources = pretrained_rows(vocab.itos, vectors, skip=SPECIALS)
    found = len(pretrained)
    whitened = center and whiten and found > source_dim
    if dim is not None and dim < 1:
        raise EmbedlabError(f"the reduced word-vector size must be positive, got {dim}")
    if dim is not None and dim < source_dim and not whitened:
        logger.warning("keeping all %d dimensions of the word vectors: reducing them needs whitening and more "
                       "corpus words with vectors (%d) than dimensions", source_dim, found)
    dim = min(dim, source_dim) if dim is not None and whitened else source_dim
    rng = np.random.default_rng(seed)
    table = rng.standard_normal((len(vocab), dim)).astype(np.float32)
    if pretrained:
        rows = np.asarray(vectors.vectors[sources], dtype=np.float32)
        if not np.isfinite(rows).all():
            raise EmbedlabError("the word vectors contain NaN or infinite values; clean them before training")
        if center:
            rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
            rows = rows - rows.mean(axis=0)
        if whitened:
            _, spread, axes = np.linalg.svd(rows, full_matrices=False)     # rows = U diag(spread) axes
            # (n, dim): the top principal directions, each of unit variance
            rows = rows @ axes[:dim].T / np.maximum(spread[:dim], spread[0] * 1e-6) * np.sqrt(len(rows))
        table[pretrained] = rows
    if unit_rows:
        norms = np.linalg.norm(table, axis=1, keepdims=True)
        if (norms[len(SPECIALS):] == 0).any():
            raise EmbedlabError("the word vectors contain all-zero rows; clean them before training")
        table = table / np.maximum(norms, 1e-12) * np.sqrt(dim)
    else:
        table = (table - table[len(SPECIALS):].mean(axis=0)) / np.maximum(table[len(SPECIALS):].std(axis=0), 1e-6)
    table = table * scale
    table[0] = 0.0
    info = {"vocab": len(vocab), "pretrained": found, "random": len(vocab) - found - 1}
    logger.info("autoencoder vocabulary: %d words, %d with pretrained vectors, %d random (symbols, specials)",
                info["vocab"], info["pretrained"], info["random"])
    return vocab, table.astype(np.float32), info
