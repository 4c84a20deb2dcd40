"""Result containers and Report rendering (markdown, HTML, JSON) with a stable column order."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from embedlab.data.benchmarks import AnalogySet, WordPairs
from embedlab.evaluation import (
    AnalogyResult,
    AnalogySectionResult,
    ProbeResult,
    Report,
    StsResult,
    WordSimilarityResult,
    evaluate_word_vectors,
    html_table,
    markdown_table,
)
from embedlab.evaluation.results import mean_score, to_jsonable

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


def test_average_rows_per_task_and_metric() -> None:
    ws2 = WordSimilarityResult("simlex999", 0.3, 0.2, n_pairs=9, n_covered=9)
    cosmul = AnalogyResult("google", "3cosmul", n_questions=10, n_oov=0, n_answered=10, n_correct=5)
    sts2 = StsResult("sts14", 60.0, 50.0, 7)
    report = Report([WS, AN, ws2, cosmul, STS, sts2, PROBE])
    assert report.rows() == report.rows(averages=False) == [r.row() for r in report.results]
    rows = report.rows(averages=True)
    # one average per (task, metric) group of 2+ results, after the group's last row; NaN left out
    assert [(r["dataset"], r["metric"], r["score"]) for r in rows] == [
        ("ws353", "spearman", 0.5),
        ("google", "3cosadd_accuracy", 0.75),
        ("simlex999", "spearman", 0.3),
        ("average", "spearman", pytest.approx(0.4)),
        ("google", "3cosmul_accuracy", 0.5),
        ("sts12", "spearman_x100", STS.spearman),
        ("sts14", "spearman_x100", 60.0),
        ("average", "spearman_x100", 60.0),
        ("mr", "accuracy_x100", 75.0),
    ]
    average = rows[3]
    assert average["task"] == "word_similarity" and average["coverage"] is None and average["n"] is None
    md = report.to_markdown(averages=True).splitlines()
    assert " ".join(md[5].split()) == "| word_similarity | average | spearman | 0.4000 | | |"
    assert "<td>average</td>" in report.to_html(averages=True) and "average" not in report.to_markdown()
    with pytest.raises(ValueError, match="averages"):
        report.rows(detail=True, averages=True)


def test_mean_score_and_to_jsonable() -> None:
    assert mean_score([WS, WordSimilarityResult("x", 0.25, 0.0, 2, 2)]) == pytest.approx(0.375)
    assert mean_score([PROBE, STS]) == 75.0  # STS scores NaN: left out
    assert math.isnan(mean_score([STS])) and math.isnan(mean_score([]))
    data = {"r": STS, "t": (1, np.float32(0.5), np.array([np.nan, 2.0])), "inf": -math.inf}
    assert to_jsonable(data) == {
        "r": {"task": "sts", "dataset": "sts12", "spearman": None, "pearson": 10.0, "n_pairs": 5, "n_zero_vectors": 0},
        "t": [1, 0.5, [None, 2.0]],
        "inf": None,
    }
    json.dumps(to_jsonable(data), allow_nan=False)
    assert math.isnan(STS.to_dict()["spearman"])  # to_dict keeps NaN; only to_jsonable drops it


def test_word_vectors_progress_bar(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    vectors = {"a": np.array([1.0, 0.0]), "b": np.array([1.0, 1.0]), "c": np.array([0.0, 1.0])}
    pairs = WordPairs("hand", [("a", "b"), ("a", "c"), ("b", "c")], np.array([3.0, 1.0, 2.0]))
    questions = AnalogySet("q", {"s": [("a", "b", "a", "b")]})
    with caplog.at_level(logging.WARNING, logger="embedlab.evaluation.suite"):
        evaluate_word_vectors(vectors, [pairs], [questions], analogy_methods=("3cosadd", "3cosmul"))
    assert "word vectors" not in capsys.readouterr().err
    with caplog.at_level(logging.INFO, logger="embedlab.evaluation.suite"):
        report = evaluate_word_vectors(vectors, [pairs], [questions], analogy_methods=("3cosadd", "3cosmul"))
    assert "3/3" in capsys.readouterr().err and len(report) == 3
