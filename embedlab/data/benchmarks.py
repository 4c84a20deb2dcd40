"""Benchmark datasets: a registry of the vendored files and readers for them and for user files.

Every reader takes a registered name (``"ws353"``, ``"google"``, ``"sts12"``, ``"mr"``) or a path to a
file in one of the supported formats, and returns a small typed container.

Malformed lines (a missing field, an empty word or sentence, a bad score) are never skipped silently:
the readers raise ``DataError`` naming ``file:line`` and the offending text. The only line a reader
skips on its own is a header row (the first non-comment line, when its score field is not a number),
which is logged.

Formats read:

- word pairs: ``w1 w2 score [more fields]``, tab separated (or whitespace separated when a line has no
  tab), ``#`` comment lines, CRLF or LF; the score column is 2 unless the registry or the caller says
  otherwise (SimVerb-3500: 3).
- analogies: ``: section`` lines, then ``a b c d`` questions (word2vec's ``questions-words.txt``).
- STS: plain ``s1<TAB>s2<TAB>score``; STS-B (``sts-train.csv``: genre, file, year, id, score, s1, s2,
  sometimes with extra trailing fields); SICK (``SICK.txt``, ``SICK_test_annotated.txt``: a header
  row naming ``sentence_A``, ``sentence_B``, ``relatedness_score``).
- classification: ``label<TAB>text`` lines.

Example:
    >>> pairs = load_word_pairs("ws353")
    >>> len(pairs), pairs.pairs[0], float(pairs.scores[0])
    (353, ('love', 'sex'), 6.77)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from embedlab.data.fetch import dataset_path
from embedlab.errors import DataError

logger = logging.getLogger(__name__)

BenchmarkKind = Literal["word_similarity", "analogy", "sts", "classification"]
StsFormat = Literal["auto", "plain", "stsb", "sick"]

_RESOURCES = Path(__file__).resolve().parent / "resources" / "benchmarks"


@dataclass(frozen=True)
class BenchmarkInfo:
    """One registered benchmark.

    Attributes:
        name: registry name, e.g. ``"simlex999"``.
        kind: which evaluator reads it.
        filename: the vendored file under ``embedlab/data/resources/benchmarks``, or ``None`` when the
            data is fetched (``fetch_name``).
        size: number of items (pairs or questions) in the file.
        score_column: 0-based column of the gold score (word pairs and plain STS).
        score_range: inclusive (low, high) range of the gold scores, checked on load.
        citation: BibTeX-style key of the paper that introduced the set.
        fetch_name: name for ``embedlab.data.fetch.dataset_path`` when not vendored.
    """

    name: str
    kind: BenchmarkKind
    filename: str | None
    size: int
    score_column: int = 2
    score_range: tuple[float, float] | None = None
    citation: str = ""
    fetch_name: str | None = None

    @property
    def path(self) -> Path:
        """The file to read; fetched datasets are resolved (and may raise ``DataError``)."""
        if self.filename is not None:
            return _RESOURCES / self.filename
        return dataset_path(self.fetch_name or self.name)


BENCHMARKS: dict[str, BenchmarkInfo] = {
    info.name: info
    for info in (
        BenchmarkInfo("ws353", "word_similarity", "ws353.tsv", 353, 2, (0, 10), "finkelstein2002placing"),
        BenchmarkInfo("ws353-sim", "word_similarity", "ws353_sim.tsv", 203, 2, (0, 10), "agirre2009study"),
        BenchmarkInfo("ws353-rel", "word_similarity", "ws353_rel.tsv", 252, 2, (0, 10), "agirre2009study"),
        BenchmarkInfo("simlex999", "word_similarity", "simlex999.tsv", 999, 2, (0, 10), "hill2015simlex"),
        BenchmarkInfo(
            "simverb3500", "word_similarity", "simverb3500.tsv", 3500, 3, (0, 10), "gerz2016simverb"
        ),
        BenchmarkInfo("men", "word_similarity", "men.txt", 3000, 2, (0, 50), "bruni2014multimodal"),
        BenchmarkInfo("rw", "word_similarity", "rw.tsv", 2034, 2, (0, 10), "luong2013better"),
        BenchmarkInfo("mturk287", "word_similarity", "mturk287.tsv", 287, 2, (1, 5), "radinsky2011word"),
        BenchmarkInfo("rg65", "word_similarity", "rg65.tsv", 65, 2, (0, 4), "rubenstein1965contextual"),
        BenchmarkInfo("google", "analogy", "google_analogy.txt", 19544, citation="mikolov2013efficient"),
        BenchmarkInfo("msr", "analogy", "msr_analogy.txt", 8000, citation="mikolov2013linguistic"),
        BenchmarkInfo("sts12", "sts", "sts12_train.tsv", 2234, 2, (0, 5), "agirre2012semeval"),
        BenchmarkInfo("sts14-onwn", "sts", "sts14_onwn.tsv", 750, 2, (0, 5), "agirre2014semeval"),
        BenchmarkInfo("sts14-headlines", "sts", "sts14_headlines.tsv", 750, 2, (0, 5), "agirre2014semeval"),
        BenchmarkInfo("mr", "classification", None, 4000, citation="pang2005seeing", fetch_name="mr"),
    )
}

WORD_SIMILARITY_SETS: tuple[str, ...] = tuple(n for n, b in BENCHMARKS.items() if b.kind == "word_similarity")
ANALOGY_SETS: tuple[str, ...] = tuple(n for n, b in BENCHMARKS.items() if b.kind == "analogy")
STS_SETS: tuple[str, ...] = tuple(n for n, b in BENCHMARKS.items() if b.kind == "sts")


@dataclass(frozen=True)
class WordPairs:
    """Word pairs with gold similarity scores.

    Attributes:
        name: registry name or file stem.
        pairs: ``(w1, w2)`` as written in the file (case kept).
        scores: (n,) float64 gold scores.
        source: the file read.
    """

    name: str
    pairs: list[tuple[str, str]]
    scores: np.ndarray
    source: str = "<memory>"

    def __len__(self) -> int:
        return len(self.pairs)


@dataclass(frozen=True)
class AnalogySet:
    """Analogy questions ``a : b :: c : d`` grouped in sections, in file order.

    Attributes:
        name: registry name or file stem.
        sections: section name -> list of ``(a, b, c, d)`` questions (case kept).
        source: the file read.
    """

    name: str
    sections: dict[str, list[tuple[str, str, str, str]]]
    source: str = "<memory>"

    def __len__(self) -> int:
        return sum(len(q) for q in self.sections.values())

    def questions(self) -> Iterator[tuple[str, tuple[str, str, str, str]]]:
        """Yield ``(section, question)`` in file order."""
        for section, questions in self.sections.items():
            for question in questions:
                yield section, question


@dataclass(frozen=True)
class StsPairs:
    """Sentence pairs with gold similarity scores.

    Attributes:
        name: registry name or file stem.
        sentences1, sentences2: the two sides, whitespace-stripped.
        scores: (n,) float64 gold scores.
        source: the file read.
    """

    name: str
    sentences1: list[str]
    sentences2: list[str]
    scores: np.ndarray
    source: str = "<memory>"

    def __len__(self) -> int:
        return len(self.sentences1)


def benchmark_info(name: str) -> BenchmarkInfo:
    """Look up a registered benchmark.

    Raises:
        DataError: unknown name (the message lists the known ones).

    Example:
        >>> benchmark_info("men").score_range
        (0, 50)
    """
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise DataError(
            f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)} (or pass a file path)"
        ) from None


def load_word_pairs(name_or_path: str | Path, *, score_column: int | None = None) -> WordPairs:
    """Read a word-similarity set.

    Args:
        name_or_path: a name from ``WORD_SIMILARITY_SETS`` or a file path.
        score_column: 0-based column holding the score; default: the registry's, else 2.

    Returns:
        The pairs in file order.

    Raises:
        DataError: unknown name, unreadable file, a malformed line (``file:line`` in the message), a
            score outside the registered range, or no pairs at all.
        ValueError: ``score_column < 2``.

    Example:
        >>> load_word_pairs("simverb3500").pairs[0]
        ('take', 'remove')
    """
    name, path, info = _resolve(name_or_path, "word_similarity")
    column = score_column if score_column is not None else (info.score_column if info else 2)
    if column < 2:
        raise ValueError(f"score_column must be >= 2 (columns 0 and 1 hold the words), got {column}")
    pairs: list[tuple[str, str]] = []
    scores: list[float] = []
    header_seen = False
    for line_no, line in _lines(path, comments=True):
        fields = _split_fields(line)
        score = _parse_score(fields, column)
        if score is None:
            if not pairs and not header_seen and len(fields) > column and not _is_number(fields[column]):
                logger.info("%s:%d: skipping header row %r", path, line_no, line)
                header_seen = True
                continue
            raise DataError(
                f"{path}:{line_no}: expected 'word1 word2 score' with the score in column {column} "
                f"(tab or space separated), got {line!r}"
            )
        _check_range(score, info, path, line_no)
        _check_text(path, line_no, line, "word", fields[0], fields[1])
        pairs.append((fields[0], fields[1]))
        scores.append(score)
    _check_not_empty(pairs, path, "(the first line was skipped as a header)" if header_seen else "")
    return WordPairs(name, pairs, np.asarray(scores, dtype=np.float64), str(path))


def load_analogies(name_or_path: str | Path) -> AnalogySet:
    """Read an analogy set in word2vec's ``questions-words.txt`` format.

    Questions before the first ``: section`` line go to a section named ``"default"``.

    Args:
        name_or_path: ``"google"``, ``"msr"`` or a file path.

    Returns:
        The questions by section, in file order.

    Raises:
        DataError: unknown name, unreadable file, a question line without exactly 4 words, or no
            questions at all.

    Example:
        >>> google = load_analogies("google")
        >>> len(google), next(iter(google.sections))
        (19544, 'capital-common-countries')
    """
    name, path, _ = _resolve(name_or_path, "analogy")
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    current: list[tuple[str, str, str, str]] | None = None
    for line_no, line in _lines(path, comments=False):
        if line.startswith(":"):
            current = sections.setdefault(line[1:].strip(), [])
            continue
        words = line.split()
        if len(words) != 4:
            raise DataError(f"{path}:{line_no}: expected 4 words 'a b c d' or ': section', got {line!r}")
        if current is None:
            logger.info("%s: questions before the first ': section' line go to section 'default'", path)
            current = sections.setdefault("default", [])
        current.append((words[0], words[1], words[2], words[3]))
    sections = {k: v for k, v in sections.items() if v}
    _check_not_empty(sections, path)
    return AnalogySet(name, sections, str(path))


def load_sts(name_or_path: str | Path, *, format: StsFormat = "auto", split: str | None = None) -> StsPairs:
    """Read an STS set: the registered ones, STS-B, SICK or plain ``s1<TAB>s2<TAB>score`` files.

    Args:
        name_or_path: a name from ``STS_SETS`` or a file path.
        format: ``"auto"`` detects it: STS-B from ``sts-*.csv`` names or 7+ fields with a numeric 5th,
            SICK from a header naming ``sentence_A``, otherwise plain.
        split: SICK only: keep rows whose ``SemEval_set`` column equals this (``"TEST"``, ``"TRAIN"``,
            ``"TRIAL"``; ``SICK.txt`` has the column, ``SICK_test_annotated.txt`` does not).

    Returns:
        The pairs in file order.

    Raises:
        DataError: unknown name, unreadable file, malformed line, a missing SICK column, or no pairs.

    Example:
        >>> sts = load_sts("sts14-headlines")
        >>> len(sts), sts.sentences1[0]
        (750, "mall attackers used ' less is more ' strategy")
    """
    name, path, info = _resolve(name_or_path, "sts")
    lines = list(_lines(path, comments=False))
    if not lines:
        raise DataError(f"{path}: no sentence pairs found (empty file)")
    fmt = _detect_sts_format(path, lines[0][1]) if format == "auto" else format
    if split is not None and fmt != "sick":
        raise DataError(f"{path}: split={split!r} only applies to SICK files, but this file reads as {fmt!r}")
    numbers: list[int] = []  # the line of each plain or STS-B row
    if fmt == "sick":
        rows = _sick_rows(path, lines, split)
    else:
        # STS-B: genre, file, year, id, score, s1, s2 [, extra fields]; plain: s1, s2, score.
        s1_col, s2_col, score_col, min_fields = (5, 6, 4, 7) if fmt == "stsb" else (0, 1, 2, 3)
        rows = []
        for line_no, line in lines:
            fields = line.split("\t")
            score = _parse_score(fields, score_col)
            if len(fields) < min_fields or score is None:
                expected = "genre, file, year, id, score, s1, s2" if fmt == "stsb" else "s1<TAB>s2<TAB>score"
                raise DataError(f"{path}:{line_no}: expected {expected} ({fmt} format), got {line[:200]!r}")
            _check_range(score, info, path, line_no)
            rows.append(_sentence_pair(path, line_no, line, fields[s1_col], fields[s2_col], score))
            numbers.append(line_no)
    _check_not_empty(rows, path)
    if info is None and numbers:
        _warn_off_scale(np.asarray([r[2] for r in rows]), numbers, path)
    return StsPairs(
        name,
        [r[0] for r in rows],
        [r[1] for r in rows],
        np.asarray([r[2] for r in rows], dtype=np.float64),
        str(path),
    )


def load_classification(name_or_path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read a ``label<TAB>text`` classification set (``"mr"`` is fetched by ``embedlab data fetch``).

    Args:
        name_or_path: ``"mr"`` or a file path.

    Returns:
        ``(texts, labels)`` with labels as an int64 array.

    Raises:
        DataError: the dataset is not fetched, a line without a tab or with a non-integer label, or
            fewer than two classes.

    Example:
        >>> texts, labels = load_classification("mr")  # doctest: +SKIP
    """
    _, path, _ = _resolve(name_or_path, "classification")
    texts: list[str] = []
    labels: list[int] = []
    for line_no, line in _lines(path, comments=False):
        label, tab, text = line.partition("\t")
        try:
            value = int(label)
        except ValueError:
            value = -1
        if not tab or value < 0:
            raise DataError(
                f"{path}:{line_no}: expected 'label<TAB>text' with an integer label >= 0, got {line[:200]!r}"
            )
        text = text.strip()
        _check_text(path, line_no, line, "text", text)
        texts.append(text)
        labels.append(value)
    _check_not_empty(texts, path)
    if len(set(labels)) < 2:
        raise DataError(
            f"{path}: a classification set needs at least two classes, found {sorted(set(labels))}"
        )
    return texts, np.asarray(labels, dtype=np.int64)


# --- helpers -----------------------------------------------------------------------------------


def _resolve(name_or_path: str | Path, kind: BenchmarkKind) -> tuple[str, Path, BenchmarkInfo | None]:
    """Map a registry name or a path to ``(name, path, info)``; paths get ``info=None``."""
    if isinstance(name_or_path, str) and name_or_path in BENCHMARKS:
        info = BENCHMARKS[name_or_path]
        if info.kind != kind:
            raise DataError(f"benchmark {info.name!r} is a {info.kind.replace('_', '-')} set, not a "
                            f"{kind.replace('_', '-')} set (`embedlab data list` shows each set's kind)")
        return info.name, info.path, info
    path = Path(name_or_path)
    if not path.is_file():
        known = ", ".join(n for n, b in BENCHMARKS.items() if b.kind == kind)
        raise DataError(f"{name_or_path!s} is neither a registered {kind} set ({known}) nor an existing file")
    return path.stem, path, None


def _lines(path: Path, *, comments: bool) -> Iterator[tuple[int, str]]:
    """Yield ``(line_no, line)`` (1-based) without the line ending, skipping blank and comment lines.

    Splits on ``\\n`` only: universal newlines would also split sentences at a stray ``\\r``.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="\n") as fin:
            for line_no, raw in enumerate(fin, start=1):
                line = raw.rstrip("\r\n")
                if not line.strip() or (comments and line.lstrip().startswith("#")):
                    continue
                yield line_no, line
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not valid UTF-8 ({exc})") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc})") from exc


def _split_fields(line: str) -> list[str]:
    """Tab separated when the line has a tab (words may then contain spaces), else whitespace."""
    return [f.strip() for f in line.split("\t")] if "\t" in line else line.split()


def _parse_score(fields: list[str], column: int) -> float | None:
    """The finite float in ``fields[column]``, or None."""
    if column >= len(fields):
        return None
    try:
        value = float(fields[column])
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _check_range(score: float, info: BenchmarkInfo | None, path: Path, line_no: int) -> None:
    if info is not None and info.score_range is not None:
        low, high = info.score_range
        if not low <= score <= high:
            raise DataError(f"{path}:{line_no}: score {score} outside {info.name}'s range [{low}, {high}]")


# The scales similarity judgements are published on (STS 0-5, SICK 1-5, some 0-1, 0-10 or 0-100).
COMMON_SCALES = ((0.0, 1.0), (1.0, 5.0), (0.0, 5.0), (0.0, 10.0), (0.0, 100.0))


def _warn_off_scale(scores: np.ndarray, line_nos: Sequence[int], path: Path) -> None:
    """Warn about the scores of an unregistered file that lie outside its own scale.

    A file states no scale, so it is read from the scores: when no common scale holds them all, the
    narrowest one holding at least 80% of them is the file's, and the rest are typos or another
    scale's scores (they would silently distort the correlation).
    """
    if any(((scores >= lo) & (scores <= hi)).all() for lo, hi in COMMON_SCALES):
        return
    for low, high in COMMON_SCALES:
        inside = (scores >= low) & (scores <= high)
        if inside.mean() >= 0.8:
            lines = [n for n, ok in zip(line_nos, inside, strict=True) if not ok]
            shown = ", ".join(map(str, lines[:5])) + (", ..." if len(lines) > 5 else "")
            logger.warning("%s: %d of %d scores lie outside the file's %g-%g scale (lines %s); they are used "
                           "as they are: check them", path, len(lines), len(scores), low, high, shown)
            return


def _check_text(path: Path, line_no: int, line: str, what: str, *values: str) -> None:
    """Raise when a word or sentence field is empty (e.g. the line ``\\tb\\t1``)."""
    if not all(values):
        raise DataError(f"{path}:{line_no}: empty {what} in {line[:200]!r}")


def _sentence_pair(path: Path, line_no: int, line: str, s1: str, s2: str, score: float) -> tuple[str, str, float]:
    """``(s1, s2, score)`` with the sentences stripped; raises on an empty one."""
    s1, s2 = s1.strip(), s2.strip()
    _check_text(path, line_no, line, "sentence", s1, s2)
    return s1, s2, score


def _check_not_empty(items: object, path: Path, note: str = "") -> None:
    if not items:
        raise DataError(
            f"{path}: no items found {note}; is this the right file and format?".replace("  ", " ")
        )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _detect_sts_format(path: Path, first_line: str) -> StsFormat:
    fields = first_line.split("\t")
    if "sentence_A" in fields and "sentence_B" in fields:
        return "sick"
    if (path.name.startswith("sts-") and path.suffix == ".csv") or (
        len(fields) >= 7 and _parse_score(fields, 4) is not None
    ):
        return "stsb"
    return "plain"


def _sick_rows(path: Path, lines: list[tuple[int, str]], split: str | None) -> list[tuple[str, str, float]]:
    """Rows of a SICK file, columns found by the header's names."""
    header_no, header = lines[0]
    columns = header.split("\t")
    wanted = ["sentence_A", "sentence_B", "relatedness_score"] + (
        ["SemEval_set"] if split is not None else []
    )
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise DataError(f"{path}:{header_no}: SICK header lacks column(s) {missing}; found {columns}")
    ia, ib, isc = (columns.index(c) for c in wanted[:3])
    iset = columns.index("SemEval_set") if split is not None else -1
    rows: list[tuple[str, str, float]] = []
    for line_no, line in lines[1:]:
        fields = line.split("\t")
        score = _parse_score(fields, isc)
        if len(fields) < len(columns) or score is None:
            raise DataError(
                f"{path}:{line_no}: expected {len(columns)} tab-separated SICK fields, got {line[:200]!r}"
            )
        if split is not None and fields[iset].strip() != split:
            continue
        rows.append(_sentence_pair(path, line_no, line, fields[ia], fields[ib], score))
    return rows


def benchmark_vocabulary(*, analogies: bool = True, lowercase: bool = True) -> list[str]:
    """Every distinct word of the packaged word-similarity sets (and analogy sets), sorted.

    Used to give out-of-vocabulary benchmark words a fallback vector before evaluation.
    """
    words = {w for name in WORD_SIMILARITY_SETS for pair in load_word_pairs(name).pairs for w in pair}
    if analogies:
        words |= {w for name in ANALOGY_SETS for qs in load_analogies(name).sections.values() for q in qs for w in q}
    return sorted({w.lower() for w in words} if lowercase else words)
