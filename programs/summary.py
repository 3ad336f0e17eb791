"""Counts per stage (overall, per persona, per question type) and the table printed at the end of a run."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from personaqa.programs.checkpoints import UnitResult

FUNNEL = ("generated", "after_dedup", "after_relevance", "after_generality", "styled")
# A rejection at stage S removes the candidate from every funnel column after S.
_DROPS_BEFORE = {"dedup": 1, "relevance": 2, "generality": 3, "conversational": 3, "style": 4}


def funnel(units: Iterable[UnitResult], key: str | None = None) -> dict[str, dict[str, int]]:
    """Funnel counts grouped by `key` ("persona", "question_type") or overall ("all")."""
    rows: dict[str, Counter] = defaultdict(Counter)
    for unit in units:
        for record in unit.records:
            group = getattr(record, key) if key else "all"
            for column in FUNNEL:
                rows[group][column] += 1
        for rejection in unit.rejections:
            if not rejection.question:
                continue  # the LM failed before a question existed
            group = getattr(rejection, key) if key else "all"
            last = _DROPS_BEFORE.get(rejection.stage, 1)
            for column in FUNNEL[:last]:
                rows[group][column] += 1
    return {group: {c: counts[c] for c in FUNNEL} for group, counts in sorted(rows.items())}


def stage_counts(units: list[UnitResult]) -> dict[str, int]:
    counts = {"chunks": len({u.chunk_id for u in units}), "units": len(units),
              "interests": sum(len(u.interests) for u in units)}
    counts.update(funnel(units).get("all", dict.fromkeys(FUNNEL, 0)))
    counts["rejected_by_stage"] = dict(Counter(r.stage for u in units for r in u.rejections))  # type: ignore[assignment]
    return counts


def print_summary(units: list[UnitResult], console: Console | None = None) -> None:
    console = console or Console(stderr=True)
    per_persona_interests = Counter()
    per_persona_chunks: dict[str, set[str]] = defaultdict(set)
    for unit in units:
        per_persona_interests[unit.persona] += len(unit.interests)
        per_persona_chunks[unit.persona].add(unit.chunk_id)
    for key, title in (("persona", "per persona"), ("question_type", "per question type")):
        table = Table(title=f"personaqa: questions kept by each stage, {title}")
        table.add_column(key)
        if key == "persona":
            table.add_column("chunks", justify="right")
            table.add_column("interests", justify="right")
        for column in FUNNEL:
            table.add_column(column.replace("_", " "), justify="right")
        groups = funnel(units, key)
        if key == "persona":
            groups = {p: groups.get(p, dict.fromkeys(FUNNEL, 0)) for p in sorted(per_persona_chunks)}
        for group, counts in groups.items():
            extra = [str(len(per_persona_chunks[group])), str(per_persona_interests[group])] if key == "persona" else []
            table.add_row(group, *extra, *(str(counts[c]) for c in FUNNEL))
        console.print(table)
