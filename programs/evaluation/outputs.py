"""What `personaqa evaluate` leaves behind: terminal tables and bar charts.

Kept apart from the command so the scoring code stays free of presentation. Charts are
written atomically (`programs.core.atomic`: temp file beside the target, then `os.replace`),
like the JSON files, so an interrupted run never leaves a half-written PNG.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from personaqa.programs.core.atomic import atomic_write
from personaqa.programs.evaluation.scoring import EvaluationReport
from rich.console import Console
from rich.table import Table

METRIC_LABELS = {"recall": "R", "mrr": "MRR", "ndcg": "nDCG"}


# ---------------------------------------------------------------- charts


def write_charts(report: EvaluationReport, headline: str, out: Path) -> list[Path]:
    """`overall.png` (every metric, a bar per retriever) and `by_<field>.png` (headline metric)."""
    names = [r.name for r in report.retrievers]
    overall = {r.name: [r.overall[m] for m in report.metrics] for r in report.retrievers}
    paths = [
        _bar_chart(
            out / "overall.png",
            [metric_label(m) for m in report.metrics],
            overall,
            title=f"All metrics ({report.n_queries} queries)",
            ylabel="score",
        )
    ]
    for field, sizes in report.group_sizes.items():
        values = list(sizes)
        series = {n: [report.scores_of(n).breakdowns[field][v][headline] for v in values] for n in names}
        labels = [f"{v}\n(n={sizes[v]})" for v in values]
        paths.append(
            _bar_chart(
                out / f"by_{_slug(field)}.png",
                labels,
                series,
                title=f"{metric_label(headline)} by {field}",
                ylabel=metric_label(headline),
            )
        )
    return paths


def _bar_chart(
    path: Path, groups: list[str], series: dict[str, list[float]], title: str, ylabel: str
) -> Path:
    import numpy as np
    from matplotlib.figure import Figure

    width_in = min(14.0, max(6.0, 0.25 * len(groups) * max(1, len(series)) + 3))
    figure = Figure(figsize=(width_in, 5.0), layout="constrained")
    axes = figure.subplots()
    width = 0.8 / max(1, len(series))
    positions = np.arange(len(groups))
    for i, (name, values) in enumerate(series.items()):
        axes.bar(positions + (i - (len(series) - 1) / 2) * width, values, width, label=name)
    axes.set_xticks(
        positions, groups, rotation=30 if len(groups) > 6 else 0, ha="right" if len(groups) > 6 else "center"
    )
    axes.set_ylim(0, 1.02)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    figure.legend(loc="outside lower center", fontsize="small", ncols=min(5, len(series)))
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110)
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "field"


# ---------------------------------------------------------------- terminal


def metric_label(metric: str) -> str:
    family, _, k = metric.partition("@")
    return f"{METRIC_LABELS.get(family, family)}@{k}"


def shown_metrics(metrics: list[str], headline: str) -> list[str]:
    """The overall table's columns by default, so it reads at 80 columns: every metric at the headline
    cut-off, and recall at the deepest one (how much a reranker could still find)."""
    cutoff = headline.partition("@")[2]
    at_headline = [m for m in metrics if m.partition("@")[2] == cutoff]
    deepest = max(metrics, key=lambda m: int(m.partition("@")[2]))
    recall_deepest = f"recall@{deepest.partition('@')[2]}"
    extra = [recall_deepest] if recall_deepest in metrics and recall_deepest not in at_headline else []
    return at_headline + extra


def print_report(
    report: EvaluationReport,
    headline: str,
    timing: dict[str, dict[str, float]],
    console: Console | Any | None = None,
    metrics: list[str] | None = None,
) -> None:
    """The overall table (`metrics` as its columns; default: every metric), one table per breakdown field and
    the significance tests of the headline metric. `console`: a rich Console or `render.MarkdownConsole`."""
    console = console or Console()
    console.print(_overall_table(report, timing, metrics or report.metrics))
    for field in report.group_sizes:
        console.print(_breakdown_table(report, field, headline))
    if report.comparisons:
        console.print(_significance_table(report, headline))


def _overall_table(
    report: EvaluationReport, timing: dict[str, dict[str, float]], metrics: list[str]
) -> Table:
    table = Table(title=f"Retrieval quality ({report.n_queries} judged queries)")
    table.add_column("retriever", style="bold")
    for metric in metrics:
        table.add_column(metric_label(metric), justify="right")
    table.add_column("search s", justify="right")
    best = {m: max(r.overall[m] for r in report.retrievers) for m in metrics}
    for scores in report.retrievers:
        cells = [_score(scores.overall[m], best[m]) for m in metrics]
        table.add_row(scores.name, *cells, f"{timing.get(scores.name, {}).get('search_s', 0.0):.1f}")
    return table


def _breakdown_table(report: EvaluationReport, field: str, headline: str) -> Table:
    table = Table(title=f"{metric_label(headline)} by {field}")
    table.add_column(field, style="bold")
    table.add_column("n", justify="right")
    for scores in report.retrievers:
        table.add_column(scores.name, justify="right")
    for value, size in report.group_sizes[field].items():
        row = [r.breakdowns[field][value][headline] for r in report.retrievers]
        table.add_row(value, str(size), *(_score(v, max(row)) for v in row))
    return table


def _significance_table(report: EvaluationReport, headline: str) -> Table:
    test = "Fisher randomisation" if report.stat_test == "fisher" else "paired t-test"
    table = Table(title=f"{metric_label(headline)}: {test}, p < {report.max_p} marked (uncorrected)")
    for column in ("a", "b", "a - b", "p", "W/T/L"):
        table.add_column(column, justify="right" if column not in ("a", "b") else "left")
    for c in (c for c in report.comparisons if c.metric == headline):
        marker = " *" if c.significant else ""
        table.add_row(
            c.a,
            c.b,
            f"{c.score_a - c.score_b:+.3f}",
            f"{c.p_value:.3f}{marker}",
            f"{c.wins}/{c.ties}/{c.losses}",
        )
    return table


def _score(value: float, best: float) -> str:
    text = f"{value:.3f}"
    return f"[bold green]{text}[/]" if value == best else text
