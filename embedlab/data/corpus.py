"""Streaming corpus readers: constant memory whatever the corpus size.

A corpus is re-iterable (every ``iter()`` re-reads the files), so trainers can run several epochs
over text that does not fit in memory. Formats:

- ``lines``: one sentence per line (the format every packaged corpus is normalized to);
- ``paragraphs``: paragraphs separated by blank lines, split into sentences by rules;
- ``jsonl``: one JSON object per line, the text under ``field`` (a string or a list of strings).

``.gz`` and ``.bz2`` files are decompressed on the fly. Bad input never crashes the reader and never
passes silently: undecodable bytes are replaced (or, with ``errors="strict"``, raise ``DataError``),
lines longer than ``max_line_bytes`` are skipped without being held in memory, and each is counted in
``ReadStats`` and logged once per file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from embedlab.data.text import CONTROL, normalize_whitespace, split_sentences
from embedlab.errors import DataError, unreadable
from embedlab.io.compression import COMPRESSION_ERRORS, open_maybe_compressed

logger = logging.getLogger(__name__)

CorpusFormat = Literal["lines", "paragraphs", "jsonl"]
DEFAULT_MAX_LINE_BYTES = 1_000_000


@dataclass
class ReadStats:
    """What a pass over a corpus read and what it skipped (and why)."""

    lines: int = 0
    sentences: int = 0
    empty: int = 0
    too_long: int = 0
    bad_encoding: int = 0
    bad_json: int = 0
    control_chars: int = 0
    paragraph_flushes: int = 0
    files: list[str] = field(default_factory=list)


def iter_raw_lines(
    path: str | Path,
    *,
    errors: Literal["replace", "strict"] = "replace",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    stats: ReadStats | None = None,
) -> Iterator[str]:
    """Yield the decoded lines of one file (without line ends), skipping over-long lines.

    Raises:
        DataError: the file is missing or unreadable, or undecodable with ``errors="strict"``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    stats = stats if stats is not None else ReadStats()
    stats.files.append(str(path))
    long_before, bad_before, control_before = stats.too_long, stats.bad_encoding, stats.control_chars
    try:
        yield from _decoded_lines(path, errors, max_line_bytes, stats)
    except COMPRESSION_ERRORS as exc:
        raise DataError(f"{path}: cannot read the file ({exc}); is it truncated or not really compressed?") from exc
    except OSError as exc:  # permissions, I/O errors, a path that is not a plain file
        raise unreadable(path, exc) from exc
    if stats.too_long > long_before:
        logger.warning("%s: skipped %d lines longer than %d bytes", path, stats.too_long - long_before, max_line_bytes)
    if stats.bad_encoding > bad_before:
        logger.warning("%s: %d lines had invalid UTF-8; bad bytes replaced by U+FFFD", path, stats.bad_encoding - bad_before)
    if stats.control_chars > control_before:
        logger.warning("%s: %d lines held control characters (NUL and the like); dropped them", path,
                       stats.control_chars - control_before)


def _decoded_lines(path: Path, errors: Literal["replace", "strict"], max_line_bytes: int, stats: ReadStats) -> Iterator[str]:
    with open_maybe_compressed(path, "rb") as f:
        lineno = 0
        while True:
            raw = f.readline(max_line_bytes + 1)
            if not raw:
                break
            lineno += 1
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                # Consume the rest of the giant line in bounded pieces, never holding it whole.
                while True:
                    rest = f.readline(max_line_bytes)
                    if not rest or rest.endswith(b"\n"):
                        break
                stats.too_long += 1
                continue
            stats.lines += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                if errors == "strict":
                    raise DataError(f"{path}:{lineno}: not valid UTF-8 ({exc.reason}); re-encode the file or use errors='replace'") from exc
                stats.bad_encoding += 1
                text = raw.decode("utf-8", errors="replace")
            text = text.rstrip("\r\n")
            if CONTROL.search(text):  # a NUL inside a word would reach the vocabulary and break word2vec files
                stats.control_chars += 1
                text = CONTROL.sub("", text)
            yield text


class TextCorpus:
    """A re-iterable stream of sentences from one or more files.

    Args:
        paths: a file or a list of files, read in order.
        format: ``"lines"``, ``"paragraphs"`` or ``"jsonl"``.
        field: the JSON field holding the text (``jsonl`` only).
        errors: ``"replace"`` (count and replace undecodable bytes) or ``"strict"`` (raise).
        max_line_bytes: longer lines are skipped and counted.

    Example:
        >>> corpus = TextCorpus("corpus.txt")            # doctest: +SKIP
        >>> for sentence in corpus: ...                  # doctest: +SKIP
        >>> corpus.stats.too_long                        # doctest: +SKIP
    """

    def __init__(
        self,
        paths: str | Path | Iterable[str | Path],
        *,
        format: CorpusFormat = "lines",
        field: str = "text",
        errors: Literal["replace", "strict"] = "replace",
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        self.paths = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
        if not self.paths:
            raise DataError("TextCorpus needs at least one file")
        missing = [str(p) for p in self.paths if not p.is_file()]
        if missing:
            raise DataError(f"corpus file(s) not found: {', '.join(missing)}")
        if format not in ("lines", "paragraphs", "jsonl"):
            raise DataError(f"unknown corpus format {format!r}; use lines, paragraphs or jsonl")
        self.format = format
        self.field = field
        self.errors = errors
        self.max_line_bytes = max_line_bytes
        self.stats = ReadStats()

    def __iter__(self) -> Iterator[str]:
        self.stats = ReadStats()
        for path in self.paths:
            lines = iter_raw_lines(path, errors=self.errors, max_line_bytes=self.max_line_bytes, stats=self.stats)
            if self.format == "lines":
                sentences = self._from_lines(lines)
            elif self.format == "paragraphs":
                sentences = self._from_paragraphs(lines)
            else:
                sentences = self._from_jsonl(lines, path)
            for sentence in sentences:
                self.stats.sentences += 1
                yield sentence

    def _from_lines(self, lines: Iterator[str]) -> Iterator[str]:
        for line in lines:
            text = normalize_whitespace(line)
            if text:
                yield text
            else:
                self.stats.empty += 1

    def _from_paragraphs(self, lines: Iterator[str]) -> Iterator[str]:
        buffer: list[str] = []
        size = 0
        for line in lines:
            if line.strip():
                buffer.append(line)
                size += len(line)
                if size > self.max_line_bytes:
                    # A "paragraph" with no blank line for megabytes: emit all but its last
                    # (possibly unfinished) sentence, so memory stays bounded.
                    sentences = split_sentences(" ".join(buffer))
                    self.stats.paragraph_flushes += 1
                    yield from sentences[:-1]
                    buffer = sentences[-1:]
                    size = len(buffer[0]) if buffer else 0
                continue
            self.stats.empty += 1
            if buffer:
                yield from split_sentences(" ".join(buffer))
                buffer = []
        if buffer:
            yield from split_sentences(" ".join(buffer))

    def _from_jsonl(self, lines: Iterator[str], path: Path) -> Iterator[str]:
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                self.stats.empty += 1
                continue
            try:
                value = json.loads(line)[self.field]
            except (ValueError, KeyError, TypeError):
                self.stats.bad_json += 1
                if self.stats.bad_json == 1:
                    logger.warning("%s:%d: not a JSON object with field %r; skipping such lines", path, lineno, self.field)
                continue
            texts = value if isinstance(value, list) else [value]
            if not all(isinstance(t, str) for t in texts):
                self.stats.bad_json += 1
                if self.stats.bad_json == 1:
                    logger.warning("%s:%d: field %r is not a string or a list of strings; skipping such lines", path, lineno, self.field)
                continue
            for text in texts:
                if CONTROL.search(text):  # JSON escapes (\u0000) get past the check of the raw line
                    self.stats.control_chars += 1
                    text = CONTROL.sub("", text)
                text = normalize_whitespace(text)
                if text:
                    yield text


def corpus_texts(source: Iterable[str] | str | Path, split: str = "train") -> Iterable[str]:
    """The lines of a registered corpus's ``split`` or of a file; lines already in memory as they are."""
    if isinstance(source, (str, Path)):
        return resolve_corpus(source, split=split)[0]
    return source


def held_out_splits(corpus: object) -> tuple[str | None, str | None]:
    """(valid, test) defaults for a corpus: a registered corpus's own splits when it has them.

    A registered corpus without splits (e.g. ``shakespeare``) gets none: the trainer then holds out
    the tail of its training text, never validating on the text it trains on.
    """
    if not isinstance(corpus, str) or Path(corpus).exists():
        return None, None
    from embedlab.data.registry import DATASETS

    spec = DATASETS.get(corpus)
    splits = spec.splits if spec is not None else ()
    return (corpus if "valid" in splits else None), (corpus if "test" in splits else None)


def read_sentences(path: str | Path, **kwargs: object) -> list[str]:
    """Read a whole (small) corpus into a list; see ``TextCorpus`` for the options."""
    return list(TextCorpus(path, **kwargs))  # type: ignore[arg-type]


def resolve_corpus(spec: str | Path, *, split: str = "train", fetch_missing: bool = True,
                   **kwargs: object) -> tuple[TextCorpus, list[Path]]:
    """A corpus from what a user typed: a registered name (fetched on first use) or a file.

    Args:
        spec: a dataset name from ``embedlab data list`` (e.g. ``en-mix``) or a path.
        split: which split of a dataset that has splits.
        fetch_missing: fetch a registered dataset that is not in the cache yet.
        kwargs: passed to ``TextCorpus`` (format, field, ...).

    Returns:
        the corpus and the files behind it.

    Raises:
        DataError: neither a registered corpus nor an existing file.
    """
    from embedlab.data.fetch import dataset_path, fetch
    from embedlab.data.registry import DATASETS, read_manifest

    path = Path(spec)
    if not path.exists() and str(spec) in DATASETS:
        name = str(spec)
        if DATASETS[name].kind != "corpus":
            raise DataError(f"{name} is a {DATASETS[name].kind} dataset, not a corpus")
        if read_manifest(name) is None:
            if not fetch_missing:
                raise DataError(f"{name} is not fetched; run: embedlab data fetch {name}")
            fetch(name)
        path = dataset_path(name, split if DATASETS[name].splits else None)
    elif not path.exists():
        raise DataError(f"{spec}: neither a file nor a registered corpus (see `embedlab data list`)")
    return TextCorpus(path, **kwargs), [path]  # type: ignore[arg-type]
