"""Run reports: one markdown file and one self-contained HTML page, with plots.

A report is a list of ``Section``s (text, tables as lists of row dicts, bar or line charts). Plots need the
``plot`` extra (matplotlib); without it the report is written without figures and says so.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embedlab.evaluation.results import html_table, markdown_table, to_jsonable

logger = logging.getLogger(__name__)


@dataclass
class BarChart:
    """Grouped bars: ``series`` maps a legend label to one value per category."""

    title: str
    categories: list[str]
    series: dict[str, list[float]]
    ylabel: str = ""
    filename: str = "figure.png"


@dataclass
class LineChart:
    """Curves over a shared x axis (e.g. validation perplexity against training tokens)."""

    title: str
    x: list[float]
    series: dict[str, list[float]]
    xlabel: str = ""
    ylabel: str = ""
    log_y: bool = False
    filename: str = "figure.png"


@dataclass
class Section:
    title: str
    text: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] | None = None
    chart: BarChart | LineChart | None = None


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        logger.warning("matplotlib is not installed (pip install 'embedlab[plot]'); the report has no figures")
        return None
    return plt


def _png(plt: Any, fig: Any, ax: Any, title: str, ylabel: str, legend: bool) -> bytes:
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if legend:
        ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def render_chart(chart: BarChart | LineChart) -> bytes | None:
    """PNG bytes of a chart, or None when matplotlib is not installed."""
    if isinstance(chart, LineChart):
        return render_line_chart(chart)
    return render_bar_chart(chart)


def render_bar_chart(chart: BarChart) -> bytes | None:
    """PNG bytes of a grouped bar chart, or None when matplotlib is not installed."""
    plt = _pyplot()
    if plt is None:
        return None
    n_series = max(len(chart.series), 1)
    width = 0.8 / n_series
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(chart.categories) + 2), 4.0), dpi=110)
    for k, (label, values) in enumerate(chart.series.items()):
        xs = [i + (k - (n_series - 1) / 2) * width for i in range(len(chart.categories))]
        bars = ax.bar(xs, values, width=width, label=label)
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    ax.set_xticks(range(len(chart.categories)))
    ax.set_xticklabels(chart.categories, rotation=30, ha="right")
    ax.grid(axis="y", alpha=0.3)
    return _png(plt, fig, ax, chart.title, chart.ylabel, len(chart.series) > 1)


def render_line_chart(chart: LineChart) -> bytes | None:
    """PNG bytes of a line chart, or None when matplotlib is not installed."""
    plt = _pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 4.0), dpi=110)
    for label, values in chart.series.items():
        ax.plot(chart.x[: len(values)], values, marker="o", markersize=3, label=label)
    if chart.log_y:
        ax.set_yscale("log")
    ax.set_xlabel(chart.xlabel)
    ax.grid(alpha=0.3)
    return _png(plt, fig, ax, chart.title, chart.ylabel, len(chart.series) > 1)


_CSS = """body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}img{max-width:100%}pre{background:#f6f6f6;padding:8px}"""


def write_report(run_dir: str | Path, title: str, sections: Sequence[Section], results: Mapping[str, Any]) -> dict[str, Path]:
    """Write ``report.md``, ``report.html``, ``results.json`` and PNG figures into ``run_dir``.

    Returns:
        The paths written, by kind ("markdown", "html", "json", and one per figure).
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    md = [f"# {title}", ""]
    page = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
            f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"]
    for section in sections:
        md += [f"## {section.title}", ""]
        page.append(f"<h2>{html.escape(section.title)}</h2>")
        if section.text:
            md += [section.text, ""]
            page += [f"<p>{html.escape(p)}</p>" for p in section.text.split("\n\n")]
        if section.rows:
            md += [markdown_table(section.rows, section.columns, digits=3), ""]
            page.append(html_table(section.rows, section.columns, digits=3))
        if section.chart is not None:
            png = render_chart(section.chart)
            if png is not None:
                fig_path = run_dir / section.chart.filename
                fig_path.write_bytes(png)
                written[section.chart.filename] = fig_path
                md += [f"![{section.chart.title}]({section.chart.filename})", ""]
                b64 = base64.b64encode(png).decode("ascii")
                page.append(f"<img alt='{html.escape(section.chart.title)}' src='data:image/png;base64,{b64}'>")
    page.append("</body></html>")
    written["markdown"] = run_dir / "report.md"
    written["markdown"].write_text("\n".join(md), encoding="utf-8")
    written["html"] = run_dir / "report.html"
    written["html"].write_text("\n".join(page), encoding="utf-8")
    written["json"] = run_dir / "results.json"
    # strict JSON: NaN/inf become null; paths and other objects become strings
    written["json"].write_text(json.dumps(to_jsonable(results), indent=2, default=str) + "\n", encoding="utf-8")
    return written
