"""What `personaqa evaluate` leaves behind: terminal tables, JSON files and bar charts.

Kept apart from the command so the scoring code stays free of presentation, and so every
file is written atomically (temp file in the same folder, then `os.replace`): an
interrupted run never leaves a half-written `results.json` next to an older chart.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.table import Table

from personaqa.programs.scoring import EvaluationReport

RESULTS_FILE = "results.json"
PER_QUERY_FILE = "per_query.jsonl"
METRIC_LABELS = {"recall": "R", "mrr": "MRR", "ndcg": "nDCG"}


# ---------------------------------------------------------------- files


def write_atomic(path: Path, write: Callable[[IO[Any]], None], binary: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: Path, data: Any) -> Path:
    return write_atomic(path, lambda h: h.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n"))


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    def write(handle: IO[str]) -> None:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    return write_atomic(path, write)


# ---------------------------------------------------------------- charts


def write_charts(report: EvaluationReport, headline: str, out: Path) -> list[Path]:
    """`overall.png` (every metric, a bar per retriever) and `by_<field>.png` (headline metric)."""
    names = [r.name for r in report.retrievers]
    overall = {r.name: [r.overall[m] for m in report.metrics] for r in report.retrievers}
    paths = [_bar_chart(out / "overall.png", [metric_label(m) for m in report.metrics], overall,
                        title=f"All metrics ({report.n_queries} queries)", ylabel="score")]
    for field, sizes in report.group_sizes.items():
        values = list(sizes)
        series = {n: [report.scores_of(n).breakdowns[field][v][headline] for v in values] for n in names}
        labels = [f"{v}\n(n={sizes[v]})" for v in values]
        paths.append(_bar_chart(out / f"by_{_slug(field)}.png", labels, series,
                                title=f"{metric_label(headline)} by {field}", ylabel=metric_label(headline)))
    return paths


def _bar_chart(path: Path, groups: list[str], series: dict[str, list[float]], title: str, ylabel: str) -> Path:
    import numpy as np
    from matplotlib.figure import Figure

    figure = Figure(figsize=(max(6.0, 0.5 * len(groups) * max(1, len(series)) + 2), 4.5), layout="constrained")
    axes = figure.subplots()
    width = 0.8 / max(1, len(series))
    positions = np.arange(len(groups))
    for i, (name, values) in enumerate(series.items()):
        axes.bar(positions + (i - (len(series) - 1) / 2) * width, values, width, label=name)
    axes.set_xticks(positions, groups, rotation=30 if len(groups) > 6 else 0, ha="right" if len(groups) > 6 else "center")
    axes.set_ylim(0, 1)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend(fontsize="small", ncols=min(4, len(series)))
    return write_atomic(path, lambda h: figure.savefig(h, format="png", dpi=110), binary=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "field"


# ---------------------------------------------------------------- terminal


def metric_label(metric: str) -> str:
    family, _, k = metric.partition("@")
    return f"{METRIC_LABELS.get(family, family)}@{k}"


def print_report(report: EvaluationReport, headline: str, timing: dict[str, dict[str, float]],
                 console: Console | None = None) -> None:
    console = console or Console()
    console.print(_overall_table(report, timing))
    for field in report.group_sizes:
        console.print(_breakdown_table(report, field, headline))
    if report.comparisons:
        console.print(_significance_table(report, headline))


def _overall_table(report: EvaluationReport, timing: dict[str, dict[str, float]]) -> Table:
    table = Table(title=f"Retrieval quality ({report.n_queries} judged queries)")
    table.add_column("retriever", style="bold")
    for metric in report.metrics:
        table.add_column(metric_label(metric), justify="right")
    table.add_column("search s", justify="right")
    best = {m: max(r.overall[m] for r in report.retrievers) for m in report.metrics}
    for scores in report.retrievers:
        cells = [_score(scores.overall[m], best[m]) for m in report.metrics]
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
        table.add_row(c.a, c.b, f"{c.score_a - c.score_b:+.3f}", f"{c.p_value:.3f}{marker}",
                      f"{c.wins}/{c.ties}/{c.losses}")
    return table


def _score(value: float, best: float) -> str:
    text = f"{value:.3f}"
    return f"[bold green]{text}[/]" if value == best else text
