"""word2vec text and binary formats, the lingua franca of static vectors.

Both start with a header line ``"<vocab size> <dim>\\n"``. Text: one ``word v1 ... vd`` line per word.
Binary: ``word`` + one space + ``dim`` little-endian float32, optionally followed by a newline (the
original C tool writes one, gensim does not; both are read). Files without a header (GloVe) are read
too. gensim reads what ``save_word2vec`` writes, and the reverse.
"""

from __future__ import annotations

import itertools
import logging
import unicodedata
from pathlib import Path
from typing import IO, Literal

import numpy as np
from tqdm import tqdm

from embedlab.data.text import CONTROL
from embedlab.errors import ModelFormatError
from embedlab.io.compression import COMPRESSION_ERRORS, open_maybe_compressed

logger = logging.getLogger(__name__)

UnicodeErrors = Literal["strict", "replace", "ignore"]
_CHUNK = 1 << 20
_PROGRESS_MIN = 200_000  # show a progress bar for tables at least this big


def _progress(total: int | None, path: Path) -> tqdm:
    show = (total or 0) >= _PROGRESS_MIN and logger.isEnabledFor(logging.INFO)
    return tqdm(total=total, desc=f"reading {path.name}", unit=" vec", disable=not show, leave=False)


def save_word2vec(path: str | Path, words: list[str], vectors: np.ndarray, *, binary: bool = False) -> None:
    """Write vectors in word2vec format.

    Args:
        path: output file (``.gz``/``.bz2`` compress it).
        words: one key per row; keys must not contain spaces or control characters (tabs, line breaks,
            NUL...): the format cannot represent them.
        vectors: (V, d) array, written as float32.
        binary: binary format instead of text.

    Raises:
        ValueError: length mismatch, non-finite values, or a key with a space or control character.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(f"{len(words)} words but vectors have shape {vectors.shape}; expected ({len(words)}, d)")
    # Readers split a line on ASCII whitespace (all of it control characters but the space); other
    # Unicode spaces (U+00A0) are part of a word.
    bad = [w for w in words if not w or any(c == " " or unicodedata.category(c) == "Cc" for c in w)]
    if bad:
        raise ValueError(f"{len(bad)} keys are empty or contain spaces or control characters (first: {bad[0]!r}); "
                         "word2vec cannot store them")
    if not np.isfinite(vectors).all():
        raise ValueError("vectors contain NaN or inf; refusing to write them")
    n, dim = vectors.shape
    with open_maybe_compressed(path, "wb") as f:
        f.write(f"{n} {dim}\n".encode())
        if binary:
            for word, vec in zip(words, vectors, strict=True):
                f.write(word.encode("utf-8") + b" " + vec.astype("<f4").tobytes() + b"\n")
        else:
            for word, vec in zip(words, vectors, strict=True):
                f.write((word + " " + " ".join(repr(float(x)) for x in vec) + "\n").encode("utf-8"))


def read_word2vec(
    path: str | Path,
    *,
    binary: bool | None = None,
    limit: int | None = None,
    unicode_errors: UnicodeErrors = "strict",
) -> tuple[list[str], np.ndarray]:
    """Read a word2vec text or binary file (or a headerless GloVe text file).

    Args:
        path: the file; ``.gz``/``.bz2`` are decompressed.
        binary: force the format; by default ``.bin`` (optionally compressed) means binary.
        limit: read only the first ``limit`` vectors.
        unicode_errors: how to treat words that are not valid UTF-8 (``"strict"`` raises).

    Returns:
        the words and their (n, d) float32 rows, in file order.

    Raises:
        ModelFormatError: missing/garbled header, truncated file, wrong number of values on a line,
            undecodable word with ``unicode_errors="strict"``, NaN/inf values, or duplicate words.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFormatError(f"{path}: no such file")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if binary is None:
        binary = ".bin" in path.suffixes
    try:
        with open_maybe_compressed(path, "rb") as f:
            if binary:
                words, vectors = _read_binary(f, path, limit, unicode_errors)
            else:
                words, vectors = _read_text(f, path, limit, unicode_errors)
    except COMPRESSION_ERRORS as exc:
        raise ModelFormatError(f"{path}: cannot read the file ({exc}); is it truncated or not really compressed?") from exc
    return words, vectors


def _parse_header(line: bytes, path: Path) -> tuple[int, int]:
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ModelFormatError(
            f"{path}: first line should be '<vocab size> <dim>', got {line[:80]!r}. "
            "Is this a word2vec file? Pass binary=True/False if the format was guessed wrong."
        )
    n, dim = int(parts[0]), int(parts[1])
    if dim <= 0:
        raise ModelFormatError(f"{path}: header gives dimension {dim}")
    return n, dim


def _decode(raw: bytes, path: Path, where: str, errors: UnicodeErrors) -> str:
    try:
        return raw.decode("utf-8", errors=errors)
    except UnicodeDecodeError as exc:
        raise ModelFormatError(
            f"{path}: {where}: word is not valid UTF-8 ({raw[:40]!r}); pass unicode_errors='replace' to load anyway"
        ) from exc


def _clean(word: str, path: Path, where: str) -> tuple[str, bool]:
    """``word`` without control characters (which no vocabulary or word2vec file can hold), and
    whether it had any.

    Raises:
        ModelFormatError: nothing is left of the word.
    """
    if not CONTROL.search(word):
        return word, False
    word = CONTROL.sub("", word)
    if not word:
        raise ModelFormatError(f"{path}: {where}: the word is made of control characters only")
    return word, True


def _warn_cleaned(path: Path, cleaned: int) -> None:
    if cleaned:
        logger.warning("%s: %d words held control characters (NUL and the like); dropped them from the words",
                       path, cleaned)


def _read_text(f: IO[bytes], path: Path, limit: int | None, errors: UnicodeErrors) -> tuple[list[str], np.ndarray]:
    first = f.readline()
    header: tuple[int, int] | None = None
    pending: list[bytes] = []
    if len(first.split()) == 2:
        header = _parse_header(first, path)
    elif first.strip():
        pending.append(first)  # headerless (GloVe): the first line is already a vector
    else:
        raise ModelFormatError(f"{path}: empty file")
    dim = header[1] if header else len(first.split()) - 1
    if dim < 1:
        raise ModelFormatError(f"{path}:1: expected a word2vec header '<vocab size> <dim>' or a word and its "
                               f"values, got {first[:80]!r}")
    expected = header[0] if header else None
    caps = [x for x in (expected, limit) if x is not None]
    cap = min(caps) if caps else None
    words: list[str] = []
    rows: list[np.ndarray] = []
    lineno = 1 if header else 0
    cleaned = 0  # words that held control characters

    bar = _progress(cap, path)
    for raw in itertools.chain(pending, f):
        lineno += 1
        bar.update()
        if cap is not None and len(words) >= cap:
            if expected is not None and cap == expected and (limit is None or limit > expected) and raw.strip():
                raise ModelFormatError(f"{path}:{lineno}: data continues after the {expected} vectors the header "
                                       "promises; is the header right?")
            break
        parts = raw.rstrip().split()
        if not parts:
            continue  # blank line
        if len(parts) != dim + 1:
            raise ModelFormatError(f"{path}:{lineno}: expected a word and {dim} values, found {len(parts) - 1} values")
        word = _decode(parts[0], path, f"line {lineno}", errors)
        try:
            rows.append(np.array(parts[1:], dtype=np.float32))
        except ValueError as exc:
            raise ModelFormatError(f"{path}:{lineno}: non-numeric value in the vector of {word!r}") from exc
        word, dirty = _clean(word, path, f"line {lineno}")
        cleaned += dirty
        words.append(word)
    bar.close()
    _warn_cleaned(path, cleaned)
    if expected is not None and len(words) < (cap or expected):
        raise ModelFormatError(f"{path}: header promises {expected} vectors but the file ends after {len(words)} (truncated?)")
    vectors = np.stack(rows) if rows else np.zeros((0, dim), dtype=np.float32)
    return words, vectors


def _read_binary(f: IO[bytes], path: Path, limit: int | None, errors: UnicodeErrors) -> tuple[list[str], np.ndarray]:
    n, dim = _parse_header(f.readline(), path)
    wanted = n if limit is None else min(n, limit)
    vec_bytes = 4 * dim
    # The table grows by doubling rather than being preallocated from the header: a wrong header
    # must give a clear error, not a giant allocation.
    vectors = np.empty((min(wanted, 1 << 16), dim), dtype=np.float32)
    words: list[str] = []
    buf = b""
    pos = 0
    eof = False
    cleaned = 0  # words that held control characters
    bar = _progress(wanted, path)
    for i in range(wanted):
        bar.update()
        while True:
            # skip the optional newline the C tool writes after each vector
            while pos < len(buf) and buf[pos : pos + 1] in (b"\n", b"\r"):
                pos += 1
            space = buf.find(b" ", pos)
            if space != -1 and len(buf) - space - 1 >= vec_bytes:
                break
            if eof:
                raise ModelFormatError(
                    f"{path}: header promises {n} vectors of dim {dim} but the file ends inside vector {i + 1} (truncated?)"
                )
            more = f.read(_CHUNK)
            eof = not more
            buf = buf[pos:] + more
            pos = 0
        raw_word = buf[pos:space]
        if not raw_word or any(b < 0x20 for b in raw_word):
            raise ModelFormatError(
                f"{path}: vector {i + 1} has a malformed word {raw_word[:40]!r}; does the header's dimension ({dim}) match the file?"
            )
        word, dirty = _clean(_decode(raw_word, path, f"vector {i + 1}", errors), path, f"vector {i + 1}")
        cleaned += dirty
        words.append(word)
        if i == len(vectors):
            vectors = np.concatenate([vectors, np.empty_like(vectors)])
        vectors[i] = np.frombuffer(buf, dtype="<f4", count=dim, offset=space + 1)
        pos = space + 1 + vec_bytes
    bar.close()
    _warn_cleaned(path, cleaned)
    if limit is None and (buf[pos:].strip() or f.read(64).strip()):
        raise ModelFormatError(f"{path}: data continues after the {n} vectors the header promises; is the header right?")
    return words, vectors[: len(words)]
