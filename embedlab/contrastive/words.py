"""Word-level vocabulary and tokenization shared by the RNN and bag-of-vectors encoders.

With static vectors the vocabulary is the vectors' own words (the most frequent ``max_vocab`` rows),
so an untrained bag encoder is exactly the mean of those vectors; corpus counts ride along for
unigram replacement. Without vectors it is the corpus's most frequent words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from embedlab.blocks.pretrained import build_vocab, copy_pretrained
from embedlab.contrastive.encoder import TokenSpace
from embedlab.data.tokenize import WordTokenizer
from embedlab.data.vocab import UNK, Vocab, read_tokenizer_words
from embedlab.errors import EmbedlabError
from embedlab.io.folder import TOKENIZER_NAME
from embedlab.io.modules import load_module_folder, save_module_folder

PAD, MASK = "<pad>", "<mask>"
WORD_SPECIALS = (PAD, UNK, MASK)  # ids 0, 1, 2


def build_word_vocab(texts: Iterable[str], vectors: Any = None, *, max_vocab: int = 30000, lowercase: bool = True) -> Vocab:
    """The encoder's words: the vectors' words when given (in their order), else the corpus's most frequent.

    Raises:
        EmbedlabError: no words at all.
    """
    tokens = WordTokenizer(lowercase=lowercase).tokenize_many(texts)
    return build_vocab(tokens, specials=WORD_SPECIALS, max_size=max_vocab, lowercase=lowercase,
                       table_words=None if vectors is None else list(vectors.index_to_key))


def word_token_space(vocab: Vocab) -> TokenSpace:
    if list(vocab.itos[: len(WORD_SPECIALS)]) != list(WORD_SPECIALS):
        raise EmbedlabError(f"a word encoder's vocabulary must start with {WORD_SPECIALS}")
    return TokenSpace(tuple(vocab.itos), pad_id=0, unk_id=1, mask_id=2, special_ids=frozenset({0, 2}))


def word_embedding(vocab: Vocab, dim: int, vectors: Any = None) -> nn.Embedding:
    """(V, dim) table: the vectors' rows where they have the word, small random rows elsewhere, zero padding.

    ``<unk>`` starts at zero, so unknown words add nothing to a mean until training moves them.
    """
    table = nn.Embedding(len(vocab), dim, padding_idx=0)
    with torch.no_grad():
        table.weight.normal_(0.0, 0.1)
        table.weight[:2] = 0.0
    if vectors is not None:
        copy_pretrained(table, vocab, vectors)
    return table


class WordTokens:
    """Mixin for word-level encoders: ``tokenize`` over a ``Vocab`` (no special tokens around the
    sentence), and saving/loading as a module folder (weights, vocabulary, ``settings()``).

    The class lists the constructor arguments ``settings()`` returns in ``setting_keys``.
    """

    vocab: Vocab
    max_length: int
    kind: ClassVar[str]
    setting_keys: ClassVar[tuple[str, ...]]

    def settings(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.setting_keys}

    def save(self, folder: str | Path) -> Path:
        assert isinstance(self, nn.Module)
        return save_module_folder(folder, self, self.vocab, {"model_type": "sentence_encoder", "encoder": self.kind,
                                                             "lowercase": self.vocab.lowercase, **self.settings()})

    @classmethod
    def from_folder(cls, folder: Path, config: dict[str, Any]) -> Any:
        """The encoder saved in ``folder`` (eval mode)."""
        lowercase = bool(config.get("lowercase", True))
        words = read_tokenizer_words(folder / TOKENIZER_NAME)
        proto = Vocab.from_lists(words, [0] * len(words), specials=WORD_SPECIALS, unk=UNK, lowercase=lowercase)

        def build() -> nn.Module:
            return cls(proto, **{k: config[k] for k in cls.setting_keys})  # type: ignore[call-arg,return-value]

        module: Any
        module, vocab = load_module_folder(folder, config, build, specials=list(WORD_SPECIALS), unk=UNK,
                                           lowercase=lowercase)
        module.vocab = vocab
        return module.eval()

    def _word_tokenizer(self) -> WordTokenizer:
        tok = getattr(self, "_tokenizer", None)
        if tok is None:
            tok = WordTokenizer(lowercase=self.vocab.lowercase)
            self._tokenizer = tok
        return tok

    def tokenize(self, texts: Sequence[str], max_length: int | None = None) -> list[list[int]]:
        keep = max_length or self.max_length
        tok = self._word_tokenizer()
        return [self.vocab.encode(tokens[:keep]) for tokens in tok.tokenize_many(texts)]
