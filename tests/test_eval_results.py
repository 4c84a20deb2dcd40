"""Result containers and Report rendering (markdown, HTML, JSON) with a stable column order."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from embedlab.evaluation import (
    AnalogyResult,
    AnalogySectionResult,
    ProbeResult,
    Report,
    StsResult,
    WordSimilarityResult,
    html_table,
    markdown_table,
)

WS = WordSimilarityResult("ws353", 0.5, 0.4, n_pairs=4, n_covered=3, oov_words=("zzz",))
AN = AnalogyResult(
    "google",
    "3cosadd",
    n_questions=10,
    n_oov=2,
    n_answered=8,
    n_correct=6,
    sections=(AnalogySectionResult("capitals", 10, 2, 8, 6),),
)
STS = StsResult("sts12", math.nan, 10.0, 5)
PROBE = ProbeResult("mr", 75.0, 1.5, (74.0, 76.0), 100, 2, 1111, 1.0)


def test_derived_metrics() -> None:
    assert WS.coverage == 0.75 and WS.oov_ratio == 25.0
    assert AN.accuracy == 0.75 and AN.coverage == 0.8 and AN.sections[0].accuracy == 0.75


def test_headline_rows_share_columns() -> None:
    report = Report([WS, AN, STS, PROBE], title="all")
    rows = report.rows()
    assert [list(r) for r in rows] == [["task", "dataset", "metric", "score", "coverage", "n"]] * 4
    assert [r["metric"] for r in rows] == ["spearman", "3cosadd_accuracy", "spearman_x100", "accuracy_x100"]
    md = report.to_markdown()
    lines = md.splitlines()
    assert lines[:2] == ["# all", ""]
    squeeze = [" ".join(line.split()) for line in lines[2:]]  # columns are padded to equal width
    assert squeeze[0] == "| task | dataset | metric | score | coverage | n |"
    assert set(squeeze[1]) == {"|", "-"}
    assert "| word_similarity | ws353 | spearman | 0.5000 | 0.7500 | 4 |" in squeeze
    assert "| sts | sts12 | spearman_x100 | nan | 1.0000 | 5 |" in squeeze
    assert len({len(line) for line in lines[2:]}) == 1
    html = report.to_html()
    assert html.startswith("<h2>all</h2>\n<table>") and "<td>google</td>" in html


def test_detail_rows_and_json(tmp_path: Path) -> None:
    report = Report([WS, AN])
    detail = report.rows(detail=True)
    assert "oov_words" not in detail[0] and detail[0]["oov_ratio"] == 25.0  # lists stay in the JSON only
    data = json.loads(report.to_json())
    assert data["results"][0]["oov_words"] == ["zzz"]
    assert data["results"][1]["sections"][0] == {
        "task": "analogy_section",
        "section": "capitals",
        "n_questions": 10,
        "n_oov": 2,
        "n_answered": 8,
        "n_correct": 6,
        "accuracy": 0.75,
    }
    assert json.loads(Report([STS]).to_json())["results"][0]["spearman"] is None  # NaN is not JSON
    for suffix in (".md", ".html", ".json"):
        assert report.save(tmp_path / f"r{suffix}").read_text().strip()
    with pytest.raises(ValueError, match="suffix|format"):
        report.save(tmp_path / "r.txt")


def test_table_helpers() -> None:
    rows: list[dict[str, Any]] = [{"a": 1, "b": 0.5}, {"c": "x|y", "a": None}]
    assert markdown_table(rows).splitlines() == [
        "| a   | b      | c    |",
        "|-----|--------|------|",
        "| 1   | 0.5000 |      |",
        "|     |        | x\\|y |",
    ]
    assert markdown_table(rows, columns=["c"], digits=1).splitlines() == ["| c    |", "|------|", "|      |", "| x\\|y |"]
    assert "<th>a</th><th>b</th><th>c</th>" in html_table(rows) and "x|y" in html_table(rows)
