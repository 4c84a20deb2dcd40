"""Result containers for every evaluator, and rendering a list of them as markdown, HTML or JSON.

Each result is a frozen dataclass with ``to_dict()`` (every field, JSON-safe) and ``row()`` (the
headline: task, dataset, metric, score, coverage, n), so results of different tasks share one table.
``mean_score`` averages headline scores; ``to_jsonable`` turns results and NaN into strict JSON.

Example:
    >>> r = StsResult("sts12", spearman=71.25, pearson=70.0, n_pairs=2234)
    >>> print(Report([r]).to_markdown())
    | task | dataset | metric        | score   | coverage | n    |
    |------|---------|---------------|---------|----------|------|
    | sts  | sts12   | spearman_x100 | 71.2500 | 1.0000   | 2234 |
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

logger = logging.getLogger(__name__)

ROW_COLUMNS: tuple[str, ...] = ("task", "dataset", "metric", "score", "coverage", "n")
AVERAGE = "average"


class EvalResult(Protocol):
    """What every result offers."""

    task: ClassVar[str]

    @property
    def dataset(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...

    def row(self) -> dict[str, Any]: ...


class _ResultMixin:
    """``to_dict`` from the dataclass fields plus the properties named in ``_derived``."""

    task: ClassVar[str]
    _derived: ClassVar[tuple[str, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        """Every field and derived metric, JSON-safe (tuples become lists, nested results dicts); NaN kept.

        Returns:
            A flat dict except for list-valued fields (OOV words, analogy sections).
        """
        out: dict[str, Any] = {"task": self.task}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            out[f.name] = _convert(getattr(self, f.name), strict=False)
        for name in self._derived:
            out[name] = _convert(getattr(self, name), strict=False)
        return out


@dataclass(frozen=True)
class WordSimilarityResult(_ResultMixin):
    """Correlation of cosine similarity with human scores on one word-pair set.

    Attributes:
        dataset: the set's name.
        spearman, pearson: correlations (NaN when fewer than two pairs were scored).
        n_pairs: pairs in the set.
        n_covered: pairs whose two words both got a vector (from the table or the fallback).
        oov_words: sorted distinct words without a vector.
        fallback_words: sorted distinct words whose vector came from the fallback.
        oov: the policy: ``"skip"`` drops uncovered pairs, ``"zero"`` scores them 0.
        restrict_vocab, case_insensitive: the lookup settings.
    """

    task: ClassVar[str] = "word_similarity"
    _derived: ClassVar[tuple[str, ...]] = ("coverage", "oov_ratio")

    dataset: str
    spearman: float
    pearson: float
    n_pairs: int
    n_covered: int
    oov_words: tuple[str, ...] = ()
    fallback_words: tuple[str, ...] = ()
    oov: str = "skip"
    restrict_vocab: int | None = 300_000
    case_insensitive: bool = True

    @property
    def coverage(self) -> float:
        """Covered pairs / all pairs (0-1)."""
        return self.n_covered / self.n_pairs if self.n_pairs else 0.0

    @property
    def oov_ratio(self) -> float:
        """Percentage of pairs with an out-of-vocabulary word, as gensim's ``oov_ratio`` (0-100)."""
        return 100.0 * (1.0 - self.coverage)

    def row(self) -> dict[str, Any]:
        return _row(self.task, self.dataset, "spearman", self.spearman, self.coverage, self.n_pairs)


@dataclass(frozen=True)
class AnalogySectionResult(_ResultMixin):
    """Accuracy on one section of an analogy set (``n_answered`` includes OOV questions under ``oov="zero"``)."""

    task: ClassVar[str] = "analogy_section"
    _derived: ClassVar[tuple[str, ...]] = ("accuracy",)

    section: str
    n_questions: int
    n_oov: int
    n_answered: int
    n_correct: int

    @property
    def accuracy(self) -> float:
        """Correct / answered; NaN when nothing was answered."""
        return self.n_correct / self.n_answered if self.n_answered else math.nan


@dataclass(frozen=True)
class AnalogyResult(_ResultMixin):
    """Analogy accuracy on one set, with per-section detail.

    Attributes:
        dataset: the set's name.
        method: ``"3cosadd"`` or ``"3cosmul"``.
        n_questions: questions in the set.
        n_oov: questions skipped (or counted wrong) because a word is out of the restricted vocabulary.
        n_answered: questions scored (all of them under ``oov="zero"``).
        n_correct: right answers.
        sections: one result per section, in file order.
        oov, restrict_vocab, case_insensitive: the settings.
    """

    task: ClassVar[str] = "analogy"
    _derived: ClassVar[tuple[str, ...]] = ("accuracy", "coverage")

    dataset: str
    method: str
    n_questions: int
    n_oov: int
    n_answered: int
    n_correct: int
    sections: tuple[AnalogySectionResult, ...] = ()
    oov: str = "skip"
    restrict_vocab: int | None = 300_000
    case_insensitive: bool = True

    @property
    def accuracy(self) -> float:
        """Correct / answered (gensim's "Total accuracy"); NaN when nothing was answered."""
        return self.n_correct / self.n_answered if self.n_answered else math.nan

    @property
    def coverage(self) -> float:
        """Questions with all four words in the vocabulary / all questions."""
        return (self.n_questions - self.n_oov) / self.n_questions if self.n_questions else 0.0

    def row(self) -> dict[str, Any]:
        return _row(
            self.task, self.dataset, f"{self.method}_accuracy", self.accuracy, self.coverage, self.n_questions
        )


@dataclass(frozen=True)
class StsResult(_ResultMixin):
    """Spearman and Pearson (x100) of cosine vs gold on one STS set.

    Attributes:
        dataset: the set's name.
        spearman, pearson: correlations x100.
        n_pairs: pairs scored.
        n_zero_vectors: sentences whose embedding was all zeros (their cosines are taken as 0).
    """

    task: ClassVar[str] = "sts"

    dataset: str
    spearman: float
    pearson: float
    n_pairs: int
    n_zero_vectors: int = 0

    def row(self) -> dict[str, Any]:
        return _row(self.task, self.dataset, "spearman_x100", self.spearman, 1.0, self.n_pairs)


@dataclass(frozen=True)
class ProbeResult(_ResultMixin):
    """Cross-validated accuracy (x100) of a logistic-regression probe on frozen embeddings.

    Attributes:
        dataset: the set's name.
        accuracy, accuracy_std: mean and standard deviation (ddof 0) over the folds, x100.
        fold_accuracies: per-fold accuracy x100.
        n_samples, n_folds, seed, C: the setup.
    """

    task: ClassVar[str] = "probe"

    dataset: str
    accuracy: float
    accuracy_std: float
    fold_accuracies: tuple[float, ...]
    n_samples: int
    n_folds: int
    seed: int
    C: float

    def row(self) -> dict[str, Any]:
        return _row(self.task, self.dataset, "accuracy_x100", self.accuracy, 1.0, self.n_samples)


class Report:
    """A list of results rendered as one table (markdown, HTML) or as JSON.

    Args:
        results: evaluator results (anything with ``row()`` and ``to_dict()``).
        title: optional heading for markdown/HTML output.

    Example:
        >>> report = Report([StsResult("sts12", 71.2, 70.0, 2234)])
        >>> report.rows()[0]["score"]
        71.2
    """

    def __init__(self, results: Iterable[EvalResult] = (), title: str | None = None) -> None:
        self.results: list[EvalResult] = list(results)
        self.title = title

    def __len__(self) -> int:
        return len(self.results)

    def add(self, result: EvalResult) -> None:
        """Append one result."""
        self.results.append(result)

    def rows(self, detail: bool = False, averages: bool = False) -> list[dict[str, Any]]:
        """Headline rows (``ROW_COLUMNS``), or with ``detail`` every scalar field of each result.

        Args:
            detail: every scalar field instead of the headline.
            averages: after the last row of each (task, metric) group of two or more results, add a
                row with dataset ``"average"`` and the group's ``mean_score`` (coverage and n blank).

        Raises:
            ValueError: ``detail`` and ``averages`` together.

        Example:
            >>> rows = Report([StsResult("a", 70.0, 0.0, 9), StsResult("b", 80.0, 0.0, 9)]).rows(averages=True)
            >>> [(r["dataset"], r["score"]) for r in rows]
            [('a', 70.0), ('b', 80.0), ('average', 75.0)]
        """
        if detail:
            if averages:
                raise ValueError("averages apply to the headline rows; pass detail=False")
            return [
                {k: v for k, v in r.to_dict().items() if not isinstance(v, list | dict)} for r in self.results
            ]
        rows = [r.row() for r in self.results]
        if not averages:
            return rows
        groups: dict[tuple[str, str], list[int]] = {}
        for i, row in enumerate(rows):
            groups.setdefault((row["task"], row["metric"]), []).append(i)
        after = {members[-1]: key for key, members in groups.items() if len(members) > 1}
        out = []
        for i, row in enumerate(rows):
            out.append(row)
            if i in after:
                task, metric = after[i]
                score = mean_score([self.results[j] for j in groups[task, metric]])
                out.append(_row(task, AVERAGE, metric, score, None, None))
        return out

    def to_markdown(self, detail: bool = False, digits: int = 4, averages: bool = False) -> str:
        """A GitHub-flavoured markdown table (with ``# title`` above when set); see ``rows``."""
        table = markdown_table(self.rows(detail, averages), digits=digits)
        return f"# {self.title}\n\n{table}" if self.title else table

    def to_html(self, detail: bool = False, digits: int = 4, averages: bool = False) -> str:
        """An HTML ``<table>`` (with ``<h2>`` title when set); see ``rows``."""
        table = html_table(self.rows(detail, averages), digits=digits)
        return f"<h2>{html.escape(self.title)}</h2>\n{table}" if self.title else table

    def to_json(self, indent: int | None = 2) -> str:
        """Every result's ``to_dict()`` under ``"results"`` (NaN written as ``null``)."""
        payload = {"title": self.title, "results": [r.to_dict() for r in self.results]}
        return json.dumps(to_jsonable(payload), indent=indent)

    def save(self, path: str | Path) -> Path:
        """Write by suffix: ``.md``, ``.html`` or ``.json``.

        Raises:
            ValueError: another suffix.
        """
        path = Path(path)
        renderers: dict[str, Callable[[], str]] = {
            ".md": self.to_markdown,
            ".html": self.to_html,
            ".json": self.to_json,
        }
        if path.suffix not in renderers:
            raise ValueError(f"cannot tell the format of {path}: use .md, .html or .json")
        path.write_text(renderers[path.suffix]() + "\n", encoding="utf-8")
        return path


def table_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Union of the rows' keys in first-seen order: a stable column order whatever the row mix."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def markdown_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, digits: int = 4
) -> str:
    """Render rows as a markdown table with padded columns (readable in a terminal too).

    Args:
        rows: dicts of scalars.
        columns: column order; default ``table_columns(rows)``.
        digits: decimals for floats.

    Returns:
        The table, without a trailing newline; missing cells are blank.

    Example:
        >>> print(markdown_table([{"a": 1, "b": 0.5}]))
        | a   | b      |
        |-----|--------|
        | 1   | 0.5000 |
    """
    columns = list(columns) if columns is not None else table_columns(rows)
    cells = [[_format(row.get(c), digits).replace("|", "\\|") for c in columns] for row in rows]
    widths = [max(len(c), 3, *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(columns), rule, *(line(r) for r in cells)])


def html_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, digits: int = 4
) -> str:
    """Render rows as an HTML table; same columns and number format as ``markdown_table``."""
    columns = list(columns) if columns is not None else table_columns(rows)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_format(row.get(c), digits))}</td>" for c in columns) + "</tr>\n"
        for row in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"


def mean_score(results: Iterable[EvalResult]) -> float:
    """Mean of the results' headline ``score`` over those that are not NaN; NaN when none is.

    A result whose score is NaN (too few pairs, nothing answered) is left out with a warning rather than
    making the whole average NaN.

    Example:
        >>> mean_score([StsResult("a", 70.0, 0.0, 9), StsResult("b", math.nan, 0.0, 9)])
        70.0
    """
    scores = [(r.dataset, float(r.row()["score"])) for r in results]
    kept = [s for _, s in scores if not math.isnan(s)]
    if len(kept) < len(scores):
        nan = [name for name, s in scores if math.isnan(s)]
        logger.warning("averaging %d of %d scores, leaving out NaN ones: %s", len(kept), len(scores), nan)
    return math.fsum(kept) / len(kept) if kept else math.nan


def to_jsonable(value: Any) -> Any:
    """Strict-JSON form of ``value``: NaN/inf -> ``None``, results -> dicts, tuples -> lists, numpy -> Python.

    Dicts and lists are converted recursively; anything else is returned unchanged.

    Example:
        >>> to_jsonable({"a": (1.5, float("nan")), "b": [float("inf")]})
        {'a': [1.5, None], 'b': [None]}
    """
    return _convert(value, strict=True)


def _row(
    task: str, dataset: str, metric: str, score: float, coverage: float | None, n: int | None
) -> dict[str, Any]:
    return dict(zip(ROW_COLUMNS, (task, dataset, metric, score, coverage, n), strict=True))


def _format(value: Any, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _convert(value: Any, *, strict: bool) -> Any:
    """JSON-shaped ``value``; ``strict`` also replaces non-finite floats with ``None``."""
    if isinstance(value, _ResultMixin):
        value = value.to_dict()
    elif hasattr(value, "tolist"):  # numpy scalar or array
        value = value.tolist()
    if isinstance(value, dict):
        return {k: _convert(v, strict=strict) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_convert(v, strict=strict) for v in value]
    if strict and isinstance(value, float) and not math.isfinite(value):
        return None
    return value
