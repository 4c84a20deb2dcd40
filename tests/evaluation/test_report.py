"""Report rendering: markdown/HTML tables and the written run folder."""

from __future__ import annotations

import json
from pathlib import Path

from embedlab.evaluation.report import BarChart, Section, write_report
from embedlab.evaluation.results import html_table, markdown_table


def test_markdown_table_alignment_and_escaping() -> None:
    table = markdown_table([{"set": "ws353", "spearman": 0.71234}, {"set": "a|b", "n": 3}], digits=3)
    lines = table.splitlines()
    assert lines[0] == "| set   | spearman | n   |"
    assert lines[2] == "| ws353 | 0.712    |     |"
    assert "a\\|b" in lines[3]
    assert len({len(line) for line in lines}) == 1  # every row padded to the same width


def test_html_table_escapes() -> None:
    assert "<td>&lt;b&gt;</td>" in html_table([{"x": "<b>"}])


def test_write_report(tmp_path: Path) -> None:
    chart = BarChart("Word similarity", ["ws353", "simlex"], {"teacher": [0.7, 0.4]}, ylabel="Spearman", filename="ws.png")
    paths = write_report(tmp_path / "run", "Demo", [Section("Words", "Some text.", [{"set": "ws353"}], chart=chart)], {"a": 1})
    md = paths["markdown"].read_text()
    assert md.startswith("# Demo") and "| set   |" in md and "![Word similarity](ws.png)" in md
    assert paths["ws.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "data:image/png;base64," in paths["html"].read_text()
    assert json.loads(paths["json"].read_text()) == {"a": 1}
