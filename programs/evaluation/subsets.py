"""Agreement with the human ranking per subset of the synthetic questions: one row per value of each axis
a question is labelled with (persona, question type, wording, every category axis), so a control (e.g. the
own-words share, a premise category) is measured within one validate run against the rest of the set."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from personaqa.programs.evaluation.outputs import metric_label
from personaqa.programs.evaluation.validation import (
    agreement,
    bootstrap_agreement,
    nan_to_none,
    system_scores,
)
from rich.console import Console
from rich.table import Table

MIN_SUBSET = 3  # questions; fewer leave a ranking of ties
FIXED_AXES = ("persona", "question_type", "wording")


def subset_labels(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(axis, value) pairs of one synthetic question (a row of validate._read_synthetic)."""
    labels = [(axis, str(row[axis])) for axis in FIXED_AXES if row.get(axis)]
    return labels + [(f"category {axis}", value) for axis, value in (row.get("categories") or {}).items()]


def agreement_by_subset(
    human: Mapping[str, float],
    synthetic_scores: Mapping[str, Mapping[str, float]],
    synthetic: Sequence[Mapping[str, Any]],
    n_resamples: int = 1000,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """For every (axis, value) with at least MIN_SUBSET questions on an axis with two or more values: the
    number of questions, Kendall's tau and Spearman's rho of their retriever means against `human`
    (retriever → system score), a percentile-bootstrap 95 % interval of tau over the subset's questions
    (`validation.bootstrap_agreement`), the median words per question and median lexical overlap with
    the source chunk. `synthetic_scores` is retriever → question id → metric value."""
    groups: dict[tuple[str, str], list[str]] = {}
    for row in synthetic:
        for label in subset_labels(row):
            groups.setdefault(label, []).append(row["_id"])
    values_per_axis: dict[str, int] = {}
    for axis, _ in groups:
        values_per_axis[axis] = values_per_axis.get(axis, 0) + 1
    by_id = {row["_id"]: row for row in synthetic}
    out = []
    for (axis, value), ids in sorted(groups.items()):
        if values_per_axis[axis] < 2 or len(ids) < MIN_SUBSET:
            continue
        scores = {name: {q: per_query[q] for q in ids} for name, per_query in synthetic_scores.items()}
        tau, rho = agreement(human, system_scores(scores))
        boot = bootstrap_agreement(human, scores, n_resamples, seed)
        overlaps = [by_id[q]["lexical_overlap"] for q in ids if by_id[q].get("lexical_overlap") is not None]
        out.append(
            {
                "axis": axis,
                "value": value,
                "n": len(ids),
                "kendall_tau": nan_to_none(tau.value),
                "tau_low": nan_to_none(boot.tau_low),
                "tau_high": nan_to_none(boot.tau_high),
                "spearman_rho": nan_to_none(rho.value),
                "median_words": statistics.median(len(by_id[q]["text"].split()) for q in ids),
                "median_lexical_overlap": statistics.median(overlaps) if overlaps else None,
            }
        )
    return out


def print_subsets(rows: Sequence[Mapping[str, Any]], metric: str, console: Console) -> None:
    """The table of `agreement_by_subset`; nothing when no axis has two subsets large enough."""
    if not rows:
        return
    table = Table(
        title=f"Agreement with the human ranking ({metric_label(metric)}) by subset of the synthetic "
        f"questions (subsets of {MIN_SUBSET}+)"
    )
    for column in ("axis", "value", "questions", "Kendall tau", "95% CI", "Spearman rho", "words", "overlap"):
        table.add_column(column, justify="left" if column in ("axis", "value") else "right")
    for row in rows:
        table.add_row(
            row["axis"],
            row["value"],
            str(row["n"]),
            _fmt(row["kendall_tau"]),
            f"{_fmt(row['tau_low'])} .. {_fmt(row['tau_high'])}",
            _fmt(row["spearman_rho"]),
            f"{row['median_words']:g}",
            _fmt(row["median_lexical_overlap"], 2),
        )
    console.print(table)


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:+.{digits}f}" if digits == 3 else f"{value:.{digits}f}"
