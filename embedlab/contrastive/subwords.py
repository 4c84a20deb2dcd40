"""A ``tokenizers.Tokenizer`` (a model's ``tokenizer.json``) as a ``TokenSpace`` and a tokenize function.

Shared by the transformer encoder and the small masked LM, so both put the same special tokens
around a sentence and agree on which ids are special.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from embedlab.contrastive.encoder import TokenSpace
from embedlab.errors import ModelFormatError
from embedlab.teachers.backends import SpecialTokens


def _first(vocab: dict[str, int], *names: str) -> int | None:
    return next((vocab[n] for n in names if n in vocab), None)


class TokenizerTokens:
    """Args: tokenizer (padding and truncation off); vocab_size: the model's (may exceed the tokenizer's).

    Raises:
        ModelFormatError: the tokenizer lacks a mask or an unknown token.
    """

    def __init__(self, tokenizer: Any, vocab_size: int = 0) -> None:
        self.tokenizer = tokenizer
        self.specials = SpecialTokens.of(tokenizer)
        vocab = tokenizer.get_vocab(with_added_tokens=True)
        strings = [""] * max(vocab_size, max(vocab.values()) + 1)
        for token, i in vocab.items():
            strings[i] = token
        mask, unk = _first(vocab, "[MASK]", "<mask>"), _first(vocab, "[UNK]", "<unk>")
        if mask is None or unk is None:
            raise ModelFormatError("the tokenizer has no [MASK]/<mask> or [UNK]/<unk> token")
        special = {self.specials.pad_id, mask, *self.specials.prefix, *self.specials.suffix}
        special |= {i for token, i in vocab.items() if token.startswith("[unused")}
        special |= {i for i, s in enumerate(strings) if not s}  # ids the tokenizer never writes
        self.space = TokenSpace(tuple(strings), pad_id=self.specials.pad_id, mask_id=mask, unk_id=unk,
                                special_ids=frozenset(special))

    def tokenize(self, texts: Sequence[str], max_length: int) -> list[list[int]]:
        """Each text's ids with the special tokens around it, truncated to ``max_length`` in all."""
        prefix, suffix = list(self.specials.prefix), list(self.specials.suffix)
        keep = max(1, max_length - len(prefix) - len(suffix))
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [prefix + e.ids[:keep] + suffix for e in encodings]
