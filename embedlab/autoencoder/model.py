"""``SentenceAutoencoder``: any sentence in, one vector out, and the sentence back from the vector."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from embedlab.autoencoder.decoding import beam_decode_words, decode_words
from embedlab.autoencoder.nearest import NearestWords
from embedlab.autoencoder.network import AutoencoderConfig, RecurrentAutoencoder
from embedlab.autoencoder.table import EOS, SPECIALS
from embedlab.blocks.batching import pad
from embedlab.blocks.sentence_encoder import SentenceEncoder
from embedlab.data.tokenize import WordTokenizer
from embedlab.data.vocab import UNK, Vocab
from embedlab.errors import EmbedlabError
from embedlab.io.modules import load_module_folder, save_module_folder


def reversed_batch(id_lists: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Sentences as id lists -> each reversed and right-padded (B, T), and the (B,) lengths."""
    return pad([list(reversed(ids)) for ids in id_lists])


class SentenceAutoencoder(SentenceEncoder):
    """A trained autoencoder with its vocabulary and tokenizer.

    Args:
        module: the network (its ``table`` buffer holds the word vectors).
        vocab: ``SPECIALS`` first, then the words of the table's rows.
        max_length: the longest sentence it was trained on; decoding stops at ``<eos>`` or after
            ``2 * max_length`` words.
        beam: beam width when the decoder reads the previous word (1: greedy; ``decoding.py``).

    Example:
        >>> ae = SentenceAutoencoder.load("ae-model")                       # doctest: +SKIP
        >>> ae.reconstruct(["the cat sat on the mat ."])                   # doctest: +SKIP
        ['the cat sat on the mat .']
    """

    def __init__(self, module: RecurrentAutoencoder, vocab: Vocab, *, max_length: int = 40,
                 lowercase: bool = True, batch_size: int = 256, beam: int = 1) -> None:
        if list(vocab.itos[: len(SPECIALS)]) != list(SPECIALS):
            raise EmbedlabError(f"the vocabulary must start with {SPECIALS}")
        self.module = module.eval()
        self.vocab = vocab
        self.max_length = max_length
        self.lowercase = lowercase
        self.batch_size = batch_size
        self.beam = beam
        self.tokenizer = WordTokenizer(lowercase=lowercase)
        self.eos = vocab.stoi[EOS]
        self._nearest: NearestWords | None = None

    @property
    def nearest_words(self) -> NearestWords:
        if self._nearest is None:
            self._nearest = NearestWords(self.module.table, neighbours=0)
        return self._nearest

    @property
    def dim(self) -> int:
        """Size of the sentence vectors."""
        return self.module.config.sentence_dim

    def ids(self, sentence: str) -> list[int]:
        """A sentence's word ids (unknown words -> ``<unk>``)."""
        return self.vocab.encode(self.tokenizer.tokenize(sentence))

    def tokens(self, sentence: str) -> list[str]:
        """The sentence as the model sees it: its tokens, unknown words as ``<unk>``."""
        return [self.vocab.itos[i] for i in self.ids(sentence)]

    @torch.no_grad()
    def encode_ids(self, id_lists: Sequence[Sequence[int]]) -> np.ndarray:
        """Sentences as id lists -> (n, sentence_dim) float32; batched by length, returned in input order."""
        order = sorted(range(len(id_lists)), key=lambda i: len(id_lists[i]))
        out = np.zeros((len(id_lists), self.dim), dtype=np.float32)
        self.module.eval()
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            ids, lengths = reversed_batch([id_lists[i] for i in chunk])
            out[chunk] = self.module.encode(ids, lengths).numpy()
        return out

    def get_sentence_embedding_dimension(self) -> int:
        return self.dim

    def embed(self, sentences: list[str], *, batch_size: int = 256, show_progress_bar: bool = False,
              **options: Any) -> np.ndarray:
        """Sentences -> (n, sentence_dim) float32 sentence vectors (an empty sentence has one too)."""
        return self.encode_ids([self.ids(s) for s in sentences])

    @torch.no_grad()
    def decode_ids(self, vectors: np.ndarray | torch.Tensor, max_words: int | None = None) -> list[list[int]]:
        """(n, sentence_dim) -> the nearest word id per position, up to (not including) ``<eos>``."""
        matrix = torch.as_tensor(np.asarray(vectors, dtype=np.float32))
        if matrix.dim() != 2 or matrix.size(1) != self.dim:
            raise EmbedlabError(f"decode takes an (n, {self.dim}) array of sentence vectors, got shape {tuple(matrix.shape)}")
        if not torch.isfinite(matrix).all():
            raise EmbedlabError("the sentence vectors contain NaN or infinite values")
        limit = max_words or 2 * self.max_length
        steps = limit + 1                                                     # room for <eos>
        self.module.eval()
        out: list[list[int]] = []
        for start in range(0, matrix.size(0), self.batch_size):
            chunk = matrix[start:start + self.batch_size]
            if self.beam > 1 and self.module.config.decoder_input == "previous":
                words = beam_decode_words(self.module, self.nearest_words, chunk, steps, self.eos, self.beam)
            else:
                words = decode_words(self.module, self.nearest_words, chunk, steps, self.eos)
            for row in words.tolist():
                out.append((row[: row.index(self.eos)] if self.eos in row else row)[:limit])
        return out

    def decode(self, vectors: np.ndarray | torch.Tensor, max_words: int | None = None) -> list[str]:
        """(n, sentence_dim) -> n sentences (tokens joined by spaces)."""
        return [" ".join(self.vocab.itos[i] for i in ids) for ids in self.decode_ids(vectors, max_words)]

    def reconstruct(self, sentences: Sequence[str]) -> list[str]:
        """``decode(encode(sentences))``."""
        return self.decode(self.encode(sentences))

    def interpolate(self, first: str, second: str, steps: int = 5) -> list[tuple[float, str]]:
        """Decode points on the line between two sentences' vectors: [(weight of ``second``, sentence)]."""
        if steps < 2:
            raise EmbedlabError("interpolation needs at least 2 steps (the two ends)")
        a, b = self.encode([first, second])
        weights = np.linspace(0.0, 1.0, steps, dtype=np.float32)
        points = (1 - weights)[:, None] * a[None, :] + weights[:, None] * b[None, :]
        return list(zip(weights.tolist(), self.decode(points), strict=True))

    def save(self, folder: str | Path) -> Path:
        config = {"model_type": "autoencoder", **self.module.config.as_dict(), "max_length": self.max_length,
                  "lowercase": self.lowercase}
        return save_module_folder(folder, self.module, self.vocab, config)

    @classmethod
    def load(cls, folder: str | Path) -> SentenceAutoencoder:
        """An autoencoder folder (``embedlab.load`` opens any model)."""
        from embedlab.io.folder import read_config

        return load_autoencoder(Path(folder), read_config(folder, expect="autoencoder"))


def load_autoencoder(folder: Path, config: dict[str, Any]) -> SentenceAutoencoder:
    """The autoencoder of an embedlab ``autoencoder`` folder (``embedlab.load`` calls this)."""
    lowercase = bool(config.get("lowercase", True))
    module, vocab = load_module_folder(folder, config, lambda: RecurrentAutoencoder(AutoencoderConfig.from_dict(config)),
                                       specials=list(SPECIALS), unk=UNK, lowercase=lowercase)
    return SentenceAutoencoder(module, vocab, max_length=int(config.get("max_length", 40)), lowercase=lowercase)
