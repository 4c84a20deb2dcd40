"""The teacher pass of X2Static, written once to disk and reused by every later epoch, size and seed.

A cache folder holds flat little-endian arrays that grow by appending, plus ``meta.json``:

==================  ======================  ==================================================
file                dtype, shape            what
==================  ======================  ==================================================
``vocab.json``      -                       every corpus word with its count (most frequent first)
``tokens.i32``      int32 (n_tokens,)       word ids of every sentence, back to back
``sent_end.i64``    int64 (n_sentences,)    end offset of each sentence in ``tokens.i32``
``sent_ctx.i32``    int32 (n_sentences,)    the context row of each sentence
``contexts.f16``    float16 (n_ctx, d)      teacher context vectors (absent for a plain CBOW cache)
==================  ======================  ==================================================

Contexts (``variant``):

- ``sent``: one context per sentence, the mean of the teacher's states over that sentence.
- ``para``: consecutive sentences are packed into blocks of at most ``context_tokens`` teacher
  tokens (default 2/3 of the teacher's max length), one context per block. Each token goes
  through the teacher once; the paper's sliding window would read it several times.

The teacher pass is written in chunks; ``meta.json`` (written atomically after each chunk is on
disk) says how much is complete, so a killed pass resumes where it stopped. Memory stays flat
whatever the corpus size: sentences stream in, chunks stream out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from tqdm.auto import tqdm

from embedlab.data.tokenize import WordTokenizer
from embedlab.errors import DataError, EmbedlabError, unreadable
from embedlab.teachers.contextual import Teacher, align_words
from embedlab.train.settings_check import check_values

logger = logging.getLogger(__name__)

Variant = Literal["sent", "para"]
CACHE_VERSION = 1
META = "meta.json"
FILES = ("tokens.i32", "sent_end.i64", "sent_ctx.i32", "contexts.f16")


def corpus_fingerprint(paths: Sequence[Path]) -> str:
    """sha256 over each file's size and first and last MiB: cheap, and changes when the text does."""
    h = hashlib.sha256()
    for path in paths:
        try:
            size = path.stat().st_size
            h.update(f"{path.name}:{size}".encode())
            with open(path, "rb") as f:
                h.update(f.read(1 << 20))
                f.seek(max(0, size - (1 << 20)))
                h.update(f.read(1 << 20))
        except OSError as exc:
            raise unreadable(path, exc) from exc
    return h.hexdigest()


@dataclass
class CacheData:
    """A read-only view of a finished cache (arrays are memory-mapped: nothing loads up front)."""

    folder: Path
    meta: dict[str, Any]
    words: list[str]
    counts: np.ndarray

    @property
    def n_sentences(self) -> int:
        return int(self.meta["n_sentences"])

    @property
    def has_contexts(self) -> bool:
        return self.meta.get("teacher") is not None

    def _map(self, name: str, dtype: type, count: int, width: int = 1) -> np.ndarray:
        if count == 0:
            return np.zeros((0, width) if width > 1 else (0,), dtype=dtype)
        arr = np.memmap(self.folder / name, dtype=dtype, mode="r", shape=(count, width) if width > 1 else (count,))
        return arr

    def sentence_ends(self) -> np.ndarray:
        return self._map("sent_end.i64", np.int64, self.n_sentences)

    def sentence_contexts(self) -> np.ndarray:
        return self._map("sent_ctx.i32", np.int32, self.n_sentences)

    def tokens(self) -> np.ndarray:
        return self._map("tokens.i32", np.int32, int(self.meta["n_tokens"]))

    def contexts(self) -> np.ndarray:
        if not self.has_contexts:
            raise EmbedlabError(f"{self.folder}: this cache has no teacher contexts (it was built for CBOW)")
        return self._map("contexts.f16", np.float16, int(self.meta["n_contexts"]), int(self.meta["dim"]))


def count_words(corpus: Iterable[str], tokenizer: WordTokenizer, progress: bool = True) -> Counter[str]:
    counter: Counter[str] = Counter()
    for tokens in tqdm(tokenizer.tokenize_many(corpus), desc="counting words", unit=" sent",
                       disable=not progress, leave=False):
        counter.update(tokens)
    return counter


def build_cache(
    folder: str | Path,
    corpus: Iterable[str],
    corpus_paths: Sequence[Path],
    teacher: Teacher | None,
    *,
    variant: Variant = "sent",
    context_tokens: int | None = None,
    lowercase: bool = True,
    max_sentences: int | None = None,
    chunk_sentences: int = 2048,
    progress: bool = True,
) -> CacheData:
    """Run (or resume) the teacher pass over ``corpus`` and return the finished cache.

    Args:
        folder: where the cache lives; an existing cache for the same corpus, teacher and variant
            is resumed (or returned at once if complete); one for something else is an error.
        corpus: the sentences (re-iterable: read once to count words, once for the teacher).
        corpus_paths: the files behind ``corpus`` (for the fingerprint that guards reuse).
        teacher: the frozen teacher, or ``None`` for a token-only cache (classic CBOW).
        variant: ``sent`` or ``para`` (see the module docstring).
        context_tokens: ``para`` block size in teacher tokens (default 2/3 of ``max_length``).
        max_sentences: use only the first N sentences (quick runs).
        chunk_sentences: sentences per teacher chunk (the resume granularity).

    Raises:
        EmbedlabError: the folder holds a cache of something else, or a size below 1.
        DataError: the corpus has no words.
    """
    check_values(max_sentences=max_sentences, context_tokens=context_tokens)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = WordTokenizer(lowercase=lowercase)
    want: dict[str, Any] = {
        "version": CACHE_VERSION,
        "corpus": corpus_fingerprint(corpus_paths),
        "max_sentences": max_sentences,
        "teacher": teacher.name if teacher else None,
        "variant": variant if teacher else None,
        "context_tokens": (context_tokens or (2 * teacher.max_length) // 3) if teacher and variant == "para" else None,
        "lowercase": lowercase,
    }
    meta = _read_meta(folder)
    if meta is not None and any(meta.get(k) != v for k, v in want.items()):
        diff = {k: (meta.get(k), v) for k, v in want.items() if meta.get(k) != v}
        raise EmbedlabError(f"{folder} holds a context cache of something else ({diff}); "
                            "choose another --cache folder or delete this one")
    if meta is not None and meta.get("complete"):
        return open_cache(folder)

    sentences = _limit(corpus, max_sentences)
    if meta is None:
        counter = count_words(sentences, tokenizer, progress)
        if not counter:
            raise DataError("the corpus has no words")
        ordered = sorted(counter.items(), key=lambda wc: (-wc[1], wc[0]))
        _atomic_write(folder / "vocab.json", json.dumps({"words": [w for w, _ in ordered],
                                                          "counts": [c for _, c in ordered]}))
        for name in FILES:
            (folder / name).write_bytes(b"")
        meta = {**want, "dim": teacher.dim if teacher else None, "n_sentences": 0, "n_tokens": 0,
                "n_contexts": 0, "complete": False, "teacher_seconds": 0.0}
        _atomic_write(folder / META, json.dumps(meta, indent=2))
    else:
        logger.info("resuming the teacher pass in %s after %d sentences", folder, meta["n_sentences"])
        _truncate_to(folder, meta)
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    stoi = {w: i for i, w in enumerate(vocab["words"])}

    done = int(meta["n_sentences"])
    stream = _skip(sentences, done)
    total = max_sentences or None
    with tqdm(total=total, initial=done, desc=f"teacher pass ({teacher.name})" if teacher else "tokenizing",
              unit=" sent", disable=not progress, smoothing=0.05) as bar:
        for chunk in _chunks(stream, chunk_sentences):
            started = time.perf_counter()
            ids, ends, ctx_of, contexts = _process_chunk(chunk, tokenizer, stoi, teacher, variant,
                                                         want["context_tokens"])
            base_tokens, base_ctx = int(meta["n_tokens"]), int(meta["n_contexts"])
            _append(folder / "tokens.i32", np.asarray(ids, dtype=np.int32))
            _append(folder / "sent_end.i64", np.asarray(ends, dtype=np.int64) + base_tokens)
            _append(folder / "sent_ctx.i32", np.asarray(ctx_of, dtype=np.int32) + base_ctx)
            if contexts is not None:
                _append(folder / "contexts.f16", contexts.astype(np.float16))
            meta["n_sentences"] = int(meta["n_sentences"]) + len(chunk)
            meta["n_tokens"] = base_tokens + len(ids)
            meta["n_contexts"] = base_ctx + (0 if contexts is None else len(contexts))
            meta["teacher_seconds"] = float(meta["teacher_seconds"]) + time.perf_counter() - started
            _atomic_write(folder / META, json.dumps(meta, indent=2))  # after the data: see _truncate_to
            bar.update(len(chunk))
    meta["complete"] = True
    _atomic_write(folder / META, json.dumps(meta, indent=2))
    return open_cache(folder)


def open_cache(folder: str | Path) -> CacheData:
    """Open a finished cache.

    Raises:
        EmbedlabError: no cache there, or the pass is incomplete (run it again to resume).
    """
    folder = Path(folder)
    meta = _read_meta(folder)
    if meta is None:
        raise EmbedlabError(f"{folder}: no context cache (meta.json missing or unreadable)")
    if not meta.get("complete"):
        raise EmbedlabError(f"{folder}: the teacher pass stopped after {meta.get('n_sentences')} sentences; "
                            "run the same command again to resume it")
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    return CacheData(folder, meta, vocab["words"], np.asarray(vocab["counts"], dtype=np.int64))


# --- one chunk ---------------------------------------------------------------------------------------
def _process_chunk(
    chunk: Sequence[str], tokenizer: WordTokenizer, stoi: dict[str, int], teacher: Teacher | None,
    variant: Variant, context_tokens: int | None,
) -> tuple[list[int], list[int], list[int], np.ndarray | None]:
    """Word ids, sentence ends, each sentence's context row (chunk-relative) and the contexts."""
    ids: list[int] = []
    ends: list[int] = []
    if teacher is None:
        for sentence in chunk:
            ids.extend(stoi[w] for w in tokenizer.tokenize(sentence))
            ends.append(len(ids))
        return ids, ends, list(range(len(chunk))), None

    encoded = teacher.tokenize_with_offsets(chunk)
    if variant == "sent":
        limit = teacher.max_text_tokens
        sequences = []
        for sentence, (sub_ids, spans) in zip(chunk, encoded, strict=True):
            words = tokenizer.tokenize_with_spans(sentence)
            if len(sub_ids) > limit:
                # Only words the teacher saw are targets: align words to the kept sub-words by offsets.
                seen = {w for w in align_words([s for _, s in words], spans[:limit]) if w >= 0}
                words = [w for i, w in enumerate(words) if i in seen]
            ids.extend(stoi[w] for w, _ in words)
            ends.append(len(ids))
            sequences.append(sub_ids[:limit])
        contexts = teacher.pooled_from_ids(sequences)
        return ids, ends, list(range(len(chunk))), contexts

    budget = (context_tokens or (2 * teacher.max_length) // 3) - len(teacher.specials.prefix) - len(teacher.specials.suffix)
    blocks: list[list[int]] = []
    ctx_of: list[int] = []
    for sentence, (sub_ids, _) in zip(chunk, encoded, strict=True):
        if not blocks or len(blocks[-1]) + len(sub_ids) > budget:
            blocks.append([])
        blocks[-1].extend(sub_ids)
        ctx_of.append(len(blocks) - 1)
        ids.extend(stoi[w] for w in tokenizer.tokenize(sentence))
        ends.append(len(ids))
    return ids, ends, ctx_of, teacher.pooled_from_ids(blocks)


# --- files -------------------------------------------------------------------------------------------
def _read_meta(folder: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _append(path: Path, arr: np.ndarray) -> None:
    with open(path, "ab") as f:
        f.write(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes())
        f.flush()
        os.fsync(f.fileno())


def _truncate_to(folder: Path, meta: dict[str, Any]) -> None:
    """Cut every array back to what ``meta.json`` vouches for (a kill may leave a partial chunk)."""
    sizes = {"tokens.i32": 4 * int(meta["n_tokens"]), "sent_end.i64": 8 * int(meta["n_sentences"]),
             "sent_ctx.i32": 4 * int(meta["n_sentences"]),
             "contexts.f16": 2 * int(meta["n_contexts"]) * int(meta["dim"] or 0)}
    for name, size in sizes.items():
        path = folder / name
        if not path.exists() or path.stat().st_size < size:
            raise EmbedlabError(f"{path}: shorter than meta.json says; delete {folder} and run again")
        with open(path, "r+b") as f:
            f.truncate(size)


def _limit(corpus: Iterable[str], n: int | None) -> Iterable[str]:
    if n is None:
        return corpus
    limit = n

    class _Head:
        def __iter__(self) -> Iterator[str]:
            for i, s in enumerate(corpus):
                if i >= limit:
                    return
                yield s

    return _Head()


def _skip(corpus: Iterable[str], n: int) -> Iterator[str]:
    it = iter(corpus)
    for _ in range(n):
        if next(it, None) is None:
            break
    return it


def _chunks(stream: Iterator[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for s in stream:
        chunk.append(s)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
