"""The count-based baseline: an interpolated Kneser-Ney trigram model over the same token ids.

The lecture's starting point before RNNs: the next word from the previous two only. Interpolated
Kneser-Ney (Chen & Goodman 1998) with one absolute discount per order, D = n1 / (n1 + 2 n2); the
lower orders use continuation counts; the unigram level is interpolated with the uniform
distribution, so every in-vocabulary token has a probability. Counting is vectorized: an n-gram is
one int64 key, counts come from ``np.unique``, look-ups from ``np.searchsorted``.
"""

from __future__ import annotations

import math

import numpy as np

from embedlab.errors import EmbedlabError


def _discount(counts: np.ndarray) -> float:
    n1, n2 = int((counts == 1).sum()), int((counts == 2).sum())
    return n1 / (n1 + 2 * n2) if n1 + n2 else 0.5


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """values[key] for each query key, 0 where absent (``keys`` sorted)."""
    if keys.size == 0:
        return np.zeros(query.shape, dtype=np.float64)
    pos = np.minimum(np.searchsorted(keys, query), keys.size - 1)
    return np.where(keys[pos] == query, values[pos], 0).astype(np.float64)


class KneserNeyTrigram:
    """Fit on a token-id stream, then ``log_probs`` / ``perplexity`` on another.

    Example:
        >>> lm = KneserNeyTrigram(vocab_size=3).fit(np.array([0, 1, 2, 0, 1, 2, 0, 1]))
        >>> round(lm.perplexity(np.array([0, 1, 2, 0])), 2) < 3
        True
    """

    def __init__(self, vocab_size: int) -> None:
        if vocab_size < 1:
            raise EmbedlabError("vocab_size must be >= 1")
        self.V = int(vocab_size)

    def fit(self, stream: np.ndarray) -> KneserNeyTrigram:
        s = np.asarray(stream, dtype=np.int64)
        if s.size < 3:
            raise EmbedlabError("need at least three tokens to fit a trigram model")
        if s.min() < 0 or s.max() >= self.V:
            raise EmbedlabError(f"token ids must lie in [0, {self.V})")
        V = self.V
        tri, tri_n = np.unique((s[:-2] * V + s[1:-1]) * V + s[2:], return_counts=True)
        self.tri_keys, self.tri_counts = tri, tri_n
        ab = tri // V                                               # the (a, b) context of each trigram type
        self.ctx_keys, ctx_first = np.unique(ab, return_index=True)
        self.ctx_total = np.add.reduceat(tri_n, ctx_first)           # c(ab.)
        self.ctx_types = np.diff(np.append(ctx_first, ab.size))      # N1+(ab.)
        self.d3 = _discount(tri_n)
        # continuation counts of the bigram bc: distinct a before it
        bc, bc_n = np.unique(tri % (V * V), return_counts=True)
        self.bc_keys, self.bc_cont = bc, bc_n
        b = bc // V
        self.mid_keys, mid_first = np.unique(b, return_index=True)
        self.mid_total = np.add.reduceat(bc_n, mid_first)            # N1+(.b.)
        self.mid_types = np.diff(np.append(mid_first, b.size))       # distinct c after b
        self.d2 = _discount(bc_n)
        # unigram continuation: distinct b before c (over bigram types)
        bigrams = np.unique(s[:-1] * V + s[1:])
        self.uni_cont = np.bincount(bigrams % V, minlength=V).astype(np.float64)
        self.d1 = _discount(self.uni_cont[self.uni_cont > 0])
        return self

    def _unigram(self, c: np.ndarray) -> np.ndarray:
        total = self.uni_cont.sum()
        types = float((self.uni_cont > 0).sum())
        return np.maximum(self.uni_cont[c] - self.d1, 0) / total + self.d1 * types / total / self.V

    def _bigram(self, b: np.ndarray, c: np.ndarray) -> np.ndarray:
        lower = self._unigram(c)
        total = _lookup(self.mid_keys, self.mid_total, b)
        types = _lookup(self.mid_keys, self.mid_types, b)
        cont = _lookup(self.bc_keys, self.bc_cont, b * self.V + c)
        seen = total > 0
        safe = np.where(seen, total, 1.0)
        p = np.maximum(cont - self.d2, 0) / safe + self.d2 * types / safe * lower
        return np.where(seen, p, lower)

    def log_probs(self, stream: np.ndarray) -> np.ndarray:
        """log P(token i | tokens i-2, i-1) for i = 2..N-1 (natural log)."""
        s = np.asarray(stream, dtype=np.int64)
        a, b, c = s[:-2], s[1:-1], s[2:]
        lower = self._bigram(b, c)
        ctx = a * self.V + b
        total = _lookup(self.ctx_keys, self.ctx_total, ctx)
        types = _lookup(self.ctx_keys, self.ctx_types, ctx)
        count = _lookup(self.tri_keys, self.tri_counts, ctx * self.V + c)
        seen = total > 0
        safe = np.where(seen, total, 1.0)
        p = np.where(seen, np.maximum(count - self.d3, 0) / safe + self.d3 * types / safe * lower, lower)
        return np.log(p)

    def perplexity(self, stream: np.ndarray) -> float:
        return math.exp(-float(self.log_probs(stream).mean()))
