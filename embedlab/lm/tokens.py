"""What a language model reads: word-level or character-level token ids, sentences ended by ``<eos>``.

Word level is PTB-like: lower-cased words (embedlab's word tokenizer), the ``max_size`` most frequent
kept and the rest mapped to ``<unk>``. Character level keeps case and spaces (the lecture's
Shakespeare generator). Each sentence (line) ends with ``<eos>``, so a model learns where lines end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np

from embedlab.data.tokenize import WordTokenizer
from embedlab.data.vocab import UNK, Vocab
from embedlab.errors import EmbedlabError

EOS = "<eos>"
Level = Literal["word", "char"]


class LMTokenizer:
    """Text <-> ids for a language model.

    Args:
        vocab: the token table (``<unk>`` and ``<eos>`` first).
        level: ``"word"`` or ``"char"``.

    Example:
        >>> tok = LMTokenizer.build(["a b a", "b c"], level="word")
        >>> tok.vocab.itos[:2], tok.tokens("a d")
        (['<unk>', '<eos>'], ['a', 'd', '<eos>'])
    """

    def __init__(self, vocab: Vocab, level: Level = "word") -> None:
        if level not in ("word", "char"):
            raise EmbedlabError(f"level must be 'word' or 'char', got {level!r}")
        if EOS not in vocab or vocab.unk_id is None:
            raise EmbedlabError(f"a language-model vocabulary needs {UNK} and {EOS}")
        self.vocab = vocab
        self.level: Level = level
        self._words = WordTokenizer(lowercase=vocab.lowercase)
        self.eos_id = vocab.stoi[EOS]

    @classmethod
    def build(cls, texts: Iterable[str], *, level: Level = "word", max_size: int | None = None,
              min_count: int = 1, lowercase: bool | None = None) -> LMTokenizer:
        """Count ``texts`` and keep the ``max_size`` most frequent tokens (ties alphabetical).

        ``lowercase`` defaults to True for words and False for characters.
        """
        lower = (level == "word") if lowercase is None else lowercase
        counts: Counter[str] = Counter()
        proto = cls(Vocab(Counter(), specials=(UNK, EOS), lowercase=lower), level)
        for text in texts:
            counts.update(proto.tokens(text, eos=False))
        vocab = Vocab(counts, min_count=min_count, max_size=max_size, specials=(UNK, EOS), lowercase=lower)
        return cls(vocab, level)

    def __len__(self) -> int:
        return len(self.vocab)

    def tokens(self, text: str, *, eos: bool = True) -> list[str]:
        """The tokens of one line (with ``<eos>`` at the end unless ``eos=False``)."""
        if self.level == "char":
            out = list(text.lower() if self.vocab.lowercase else text)
        else:
            out = self._words.tokenize(text)
        return out + [EOS] if eos else out

    def encode(self, text: str, *, eos: bool = True) -> list[int]:
        """Ids of one line; unknown tokens become ``<unk>``."""
        return self.vocab.encode(self.tokens(text, eos=eos))

    def encode_stream(self, texts: Iterable[str]) -> np.ndarray:
        """All lines, each followed by ``<eos>``, as one int64 array (the LM's token stream)."""
        chunks: list[np.ndarray] = []
        buffer: list[int] = []
        for text in texts:
            buffer.extend(self.encode(text))
            if len(buffer) >= 1 << 20:
                chunks.append(np.asarray(buffer, dtype=np.int64))
                buffer = []
        chunks.append(np.asarray(buffer, dtype=np.int64))
        return np.concatenate(chunks)

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ids: words joined by spaces (characters by nothing), ``<eos>`` as a line break."""
        pieces = ["\n" if i == self.eos_id else self.vocab.itos[i] for i in ids]
        if self.level == "char":
            return "".join(pieces)
        return " ".join(pieces).replace(" \n ", "\n").replace(" \n", "\n").replace("\n ", "\n")
