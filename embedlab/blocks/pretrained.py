"""Vocabularies with pretrained rows: the one builder every family uses (classifier, tagger, contrastive
word encoders, autoencoder), and the one lookup of a word in a word-vector table.

A word is looked up as written, then in any casing: among the casings the table's first row (its most
frequent word) wins, so ``Paris`` finds ``paris`` in a lower-cased table and ``the`` finds ``The`` in
a table that only has the capitalized form.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from embedlab.data.vocab import UNK, Vocab
from embedlab.errors import EmbedlabError

logger = logging.getLogger(__name__)


class WordTable(Protocol):
    """What the builders read of a word-vector table (``StaticEmbeddings`` is one)."""

    index_to_key: list[str]
    key_to_index: dict[str, int]

    @property
    def vectors(self) -> np.ndarray: ...

    @property
    def dim(self) -> int: ...


class CaseFoldLookup:
    """The row of a word: the exact form, else any casing (the first row of that casing wins)."""

    def __init__(self, index_to_key: Sequence[str], key_to_index: Mapping[str, int] | None = None) -> None:
        self.exact = key_to_index if key_to_index is not None else {w: i for i, w in reversed(list(enumerate(index_to_key)))}
        folded: dict[str, int] = {}
        for i, word in enumerate(index_to_key):
            folded.setdefault(word.lower(), i)
        self.folded = folded

    def get(self, word: str) -> int | None:
        idx = self.exact.get(word)
        return self.folded.get(word.lower()) if idx is None else idx

    def rows(self, tokens: Iterable[str]) -> list[int]:
        """The rows of the known tokens, in order (unknown ones left out)."""
        exact, folded = self.exact, self.folded
        out = []
        for tok in tokens:
            idx = exact.get(tok)
            if idx is None:
                idx = folded.get(tok.lower())
            if idx is not None:
                out.append(idx)
        return out


def pretrained_rows(words: Sequence[str], table: WordTable, skip: Collection[str] = ()) -> tuple[list[int], list[int]]:
    """(positions in ``words``, rows of ``table``) of every word the table has; ``skip`` (specials) never match."""
    lookup = CaseFoldLookup(table.index_to_key, table.key_to_index)
    positions, rows = [], []
    for i, word in enumerate(words):
        j = None if word in skip else lookup.get(word)
        if j is not None:
            positions.append(i)
            rows.append(j)
    return positions, rows


def build_vocab(token_lists: Iterable[Sequence[str]], *, specials: Sequence[str], unk: str | None = UNK,
                min_count: int = 1, max_size: int | None = None, lowercase: bool = True,
                extra_words: Iterable[str] = (), table_words: Sequence[str] | None = None) -> Vocab:
    """A model's vocabulary: ``specials`` first, then the words.

    Args:
        token_lists: the tokenized training text (its counts ride along in every case).
        min_count / max_size: by default the corpus's words seen ``min_count`` times, most frequent
            first, at most ``max_size``.
        extra_words: words kept besides (count 0 when unseen): e.g. a pretrained table's, so a word
            absent from training still gets its pretrained row.
        table_words: instead, exactly these words (a pretrained table's, lower-cased when
            ``lowercase``; duplicates dropped) in their order, at most ``max_size``.

    Raises:
        EmbedlabError: no word besides the specials.
    """
    counts: Counter[str] = Counter()
    for tokens in token_lists:
        counts.update(tokens)
    if table_words is not None:
        words = [w for w in table_words if w not in specials]
        words = list(dict.fromkeys(w.lower() if lowercase else w for w in words))[:max_size]
        vocab = Vocab.from_lists(list(specials) + words, [0] * len(specials) + [counts.get(w, 0) for w in words],
                                 specials=specials, unk=unk, lowercase=lowercase)
    else:
        kept = {w: c for w, c in counts.items() if c >= min_count}
        for w in extra_words:
            kept.setdefault(w, 0)
        vocab = Vocab(kept, min_count=0, max_size=max_size, specials=specials, unk=unk, lowercase=lowercase)
    if len(vocab) <= len(specials):
        raise EmbedlabError("the vocabulary is empty: give a corpus with words in it (or word vectors)")
    return vocab


def copy_pretrained(embedding: nn.Embedding, vocab: Vocab, table: Any) -> float:
    """Copy the rows of ``table`` (``StaticEmbeddings``) for the vocabulary's words; the share found.

    Specials keep their initialization.

    Raises:
        EmbedlabError: the table's dimension differs from the embedding's.
    """
    if table.dim != embedding.embedding_dim:
        raise EmbedlabError(f"the pretrained vectors have {table.dim} dims but the embedding {embedding.embedding_dim}; "
                            "leave --emb unset to take the vectors' size")
    positions, rows = pretrained_rows(vocab.itos, table, skip=vocab.specials)
    if positions:
        with torch.no_grad():
            embedding.weight[torch.tensor(positions)] = torch.from_numpy(np.asarray(table.vectors[rows], dtype=np.float32))
    words = len(vocab) - len(vocab.specials)
    share = len(positions) / max(1, words)
    logger.info("pretrained vectors cover %.1f%% of the %d words", 100 * share, words)
    return share
