"""A word vocabulary with counts, ``min_count``, ``max_size`` and special tokens.

Order: special tokens first, then words by decreasing count (ties alphabetical), the word2vec/gensim
convention that ``restrict_vocab`` and frequency-based sampling rely on. Saved as a Hugging Face
``tokenizer.json`` (WordLevel model with embedlab's normalizer and pre-tokenizer), so
``tokenizers.Tokenizer.from_file`` reproduces the ids; counts go next to it in ``counts.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer, models

from embedlab.data.tokenize import WordTokenizer, build_normalizer, build_pre_tokenizer
from embedlab.errors import ModelFormatError

UNK = "<unk>"


class Vocab:
    """Bidirectional word <-> id map with counts.

    Args:
        counts: word -> count.
        min_count: drop words seen fewer times.
        max_size: keep at most this many words (specials not included).
        specials: tokens placed first (count 0 unless counted); ``unk`` must be one of them to map
            unknown words, otherwise unknown words raise ``KeyError``.
        unk: the unknown-word token.
        lowercase: how the text was normalized (recorded in tokenizer.json).

    Example:
        >>> v = Vocab.build([["a", "b", "a"]], specials=["<unk>"])
        >>> v.itos, v.encode(["a", "zzz"])
        (['<unk>', 'a', 'b'], [1, 0])
    """

    def __init__(
        self,
        counts: Counter[str] | dict[str, int],
        *,
        min_count: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = (UNK,),
        unk: str | None = UNK,
        lowercase: bool = True,
    ) -> None:
        if unk is not None and unk not in specials:
            unk = None
        kept = sorted(((w, c) for w, c in counts.items() if c >= min_count and w not in specials), key=lambda wc: (-wc[1], wc[0]))
        if max_size is not None:
            kept = kept[:max_size]
        self.itos: list[str] = list(specials) + [w for w, _ in kept]
        self.stoi: dict[str, int] = {w: i for i, w in enumerate(self.itos)}
        self.counts = np.array([counts.get(s, 0) for s in specials] + [c for _, c in kept], dtype=np.int64)
        self.specials = list(specials)
        self.unk = unk
        self.min_count = min_count
        self.max_size = max_size
        self.lowercase = lowercase

    @classmethod
    def build(
        cls,
        sentences: Iterable[Sequence[str]],
        **kwargs: Any,
    ) -> Vocab:
        """Count tokenized sentences (streamed) and build a vocabulary from the counts."""
        counter: Counter[str] = Counter()
        for tokens in sentences:
            counter.update(tokens)
        return cls(counter, **kwargs)

    @classmethod
    def from_texts(cls, texts: Iterable[str], tokenizer: WordTokenizer | None = None, **kwargs: Any) -> Vocab:
        """Tokenize raw sentences with ``tokenizer`` and build the vocabulary."""
        tokenizer = tokenizer or WordTokenizer(lowercase=kwargs.get("lowercase", True))
        return cls.build(tokenizer.tokenize_many(texts), **kwargs)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: object) -> bool:
        return word in self.stoi

    @property
    def unk_id(self) -> int | None:
        return None if self.unk is None else self.stoi[self.unk]

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Map tokens to ids; unknown tokens map to ``unk`` (``KeyError`` when there is no unk)."""
        unk = self.unk_id
        if unk is None:
            return [self.stoi[t] for t in tokens]
        return [self.stoi.get(t, unk) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    # --- persistence -----------------------------------------------------------------------------
    def to_tokenizer(self) -> Tokenizer:
        """An HF ``tokenizers.Tokenizer`` (WordLevel) that maps text to this vocabulary's ids."""
        # Without an unk token in the vocabulary, name one that is absent: HF tokenizers then raises
        # on unknown words instead of silently mapping them to some real word's id.
        tok = Tokenizer(models.WordLevel(self.stoi, unk_token=self.unk or UNK))
        tok.normalizer = build_normalizer(self.lowercase)
        tok.pre_tokenizer = build_pre_tokenizer()
        return tok

    def save(self, directory: str | Path) -> None:
        """Write ``tokenizer.json`` and ``counts.json`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.to_tokenizer().save(str(directory / "tokenizer.json"))
        meta = {
            "counts": self.counts.tolist(),
            "specials": self.specials,
            "unk": self.unk,
            "min_count": self.min_count,
            "max_size": self.max_size,
            "lowercase": self.lowercase,
        }
        (directory / "counts.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path) -> Vocab:
        """Read a vocabulary written by ``save``.

        Raises:
            ModelFormatError: a file is missing, malformed, or the two files disagree.
        """
        directory = Path(directory)
        itos = read_tokenizer_words(directory / "tokenizer.json")
        try:
            meta = json.loads((directory / "counts.json").read_text(encoding="utf-8"))
            counts_list = meta["counts"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelFormatError(f"{directory}: cannot read counts.json: {exc}") from exc
        if not isinstance(counts_list, list) or len(counts_list) != len(itos):
            raise ModelFormatError(f"{directory}: tokenizer.json has {len(itos)} words but counts.json has {len(counts_list)} counts")
        return cls.from_lists(itos, counts_list, specials=meta.get("specials", []), unk=meta.get("unk"),
                              min_count=meta.get("min_count", 1), max_size=meta.get("max_size"),
                              lowercase=meta.get("lowercase", True))

    @classmethod
    def from_lists(
        cls,
        itos: Sequence[str],
        counts: Sequence[int] | np.ndarray,
        *,
        specials: Sequence[str] = (),
        unk: str | None = None,
        min_count: int = 1,
        max_size: int | None = None,
        lowercase: bool = True,
    ) -> Vocab:
        """Rebuild a vocabulary in exactly the given order (no re-sorting)."""
        vocab = cls.__new__(cls)
        vocab.itos = list(itos)
        vocab.stoi = {w: i for i, w in enumerate(vocab.itos)}
        vocab.counts = np.asarray(counts, dtype=np.int64)
        vocab.specials = list(specials)
        vocab.unk = unk if unk in vocab.stoi else None
        vocab.min_count = min_count
        vocab.max_size = max_size
        vocab.lowercase = lowercase
        return vocab


def read_tokenizer_words(path: str | Path) -> list[str]:
    """The tokens of a WordLevel ``tokenizer.json`` in id order.

    Raises:
        ModelFormatError: missing file, not a word-level tokenizer, or ids that are not 0..V-1.
    """
    path = Path(path)
    try:
        vocab = json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]
    except FileNotFoundError:
        raise ModelFormatError(f"{path}: no such file") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFormatError(f"{path}: not a word-level tokenizer.json ({exc})") from exc
    if not isinstance(vocab, dict) or not all(isinstance(i, int) for i in vocab.values()):
        raise ModelFormatError(f"{path}: model.vocab must map tokens to integer ids")
    words = sorted(vocab, key=vocab.__getitem__)
    if [vocab[w] for w in words] != list(range(len(words))):
        raise ModelFormatError(f"{path}: token ids are not 0..{len(words) - 1}")
    return words
