"""Word-level tokenization built on Hugging Face ``tokenizers``.

Normalization: NFKC, optional lower-casing. Pre-tokenization: ``\\w+|[^\\w\\s]+`` (HF ``Whitespace``),
so "don't stop." -> ["don", "'", "t", "stop", "."]. The same normalizer and pre-tokenizer are written
into every ``tokenizer.json`` embedlab saves, so a model's vocabulary and its tokenization travel
together and any HF-tokenizers user can reproduce them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tokenizers import normalizers, pre_tokenizers
from tokenizers.normalizers import Normalizer
from tokenizers.pre_tokenizers import PreTokenizer


def build_normalizer(lowercase: bool) -> Normalizer:
    """NFKC (+ lower-casing): the normalizer every embedlab word tokenizer uses."""
    steps: list[Normalizer] = [normalizers.NFKC()]
    if lowercase:
        steps.append(normalizers.Lowercase())
    return normalizers.Sequence(steps)


def build_pre_tokenizer() -> PreTokenizer:
    """Split on whitespace and between word characters and punctuation."""
    return pre_tokenizers.Whitespace()


@dataclass
class WordTokenizer:
    """Split text into normalized words.

    Args:
        lowercase: lower-case before splitting (the default: benchmarks are case-insensitive).

    Example:
        >>> WordTokenizer().tokenize("The Cat sat.")
        ['the', 'cat', 'sat', '.']
    """

    lowercase: bool = True

    def __post_init__(self) -> None:
        self._normalizer = build_normalizer(self.lowercase)
        self._pre = build_pre_tokenizer()

    def normalize(self, text: str) -> str:
        return self._normalizer.normalize_str(text)

    def tokenize(self, text: str) -> list[str]:
        """Words of one sentence."""
        return [tok for tok, _ in self._pre.pre_tokenize_str(self._normalizer.normalize_str(text))]

    def tokenize_with_spans(self, text: str) -> list[tuple[str, tuple[int, int]]]:
        """Words with their (start, end) character spans in the normalized text.

        NFKC and lower-casing keep the length of ordinary text, so the spans line up with the raw
        text in practice (used to align words with a transformer's sub-word offsets).
        """
        return self._pre.pre_tokenize_str(self._normalizer.normalize_str(text))

    def tokenize_many(self, texts: Iterable[str]) -> Iterator[list[str]]:
        """Stream ``tokenize`` over many sentences."""
        for text in texts:
            yield self.tokenize(text)
