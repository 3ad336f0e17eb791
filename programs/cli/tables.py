"""Tables the compile and compare commands print: dev-set scores with confidence intervals, judge
agreement."""

from __future__ import annotations

from personaqa.optimize.agreement import Agreement
from personaqa.optimize.evaluation import EvalReport, Interval
from rich.console import Console
from rich.table import Table


def wide_console() -> Console:
    """A console that does not squeeze tables to 80 columns when output is piped to a file or CI log."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def _fmt(interval: Interval | None) -> str:
    if interval is None:
        return "-"
    return f"{interval.mean:.2f} [{interval.low:.2f}, {interval.high:.2f}]"


def print_reports(reports: list[EvalReport], console: Console) -> None:
    aspects = sorted({a for r in reports for a in r.aspects})
    table = Table(title="dev-set scores (mean [95% bootstrap CI])")
    for column in [
        "variant",
        "composite",
        *aspects,
        "accepted",
        "calls/accepted",
        "tokens/accepted",
        "wall s",
    ]:
        table.add_column(column, justify="left" if column == "variant" else "right")
    for r in reports:
        table.add_row(
            r.name,
            _fmt(r.composite),
            *(_fmt(r.aspects.get(a)) for a in aspects),
            str(r.accepted_questions),
            f"{r.calls_per_accepted:.1f}",
            f"{r.tokens_per_accepted:.0f}",
            f"{r.wall_seconds:.0f}",
        )
    console.print(table)


def print_agreement(agreement: list[Agreement], console: Console) -> None:
    table = Table(title="judge agreement with human labels (dev set)")
    for column in ("judge", "n", "accuracy", "Cohen's kappa", "human yes-rate", "judge yes-rate"):
        table.add_column(column, justify="left" if column == "judge" else "right")
    for a in agreement:
        table.add_row(
            a.judge,
            str(a.n),
            f"{a.accuracy:.2f}",
            f"{a.kappa:.2f}",
            f"{a.human_positive_rate:.2f}",
            f"{a.judge_positive_rate:.2f}",
        )
    console.print(table)
