"""Counts per stage (overall, per persona, per question type, per category of each categorisation axis),
tallied unit by unit, the end-of-run tables, and why a run kept nothing."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path

from personaqa.programs.core.jsonl import json_lines
from personaqa.programs.recipe import chain
from personaqa.programs.run.checkpoints import UnitResult
from rich.console import Console
from rich.table import Table

FUNNEL = tuple(chain.FUNNEL)  # column names, in order


def _columns_passed(rejection) -> int:
    """How many funnel columns a rejected question counts in. An LM failure counts up to the step it
    failed in, which its reason names first ("relevance: ValueError: ...")."""
    stage = rejection.stage
    if stage == "lm_error":
        stage = rejection.reason.split(":", 1)[0].removeprefix("complex_")
    return chain.columns_passed(stage)


class RunTally:
    """Streaming counts over finished units: nothing but counters is kept."""

    def __init__(self) -> None:
        self.units = 0
        self.chunk_ids: set[str] = set()
        self.group_ids: set[str] = set()
        self.interests: Counter[str] = Counter()
        self.persona_chunks: Counter[str] = Counter()
        self.passed: Counter[str] = Counter()  # units where the persona found nothing to ask about
        self.rejected_by_stage: Counter[str] = Counter()
        # key ("all", "persona", "question_type", or a category axis) -> group -> funnel column -> count
        self.funnel: dict[str, dict[str, Counter[str]]] = {
            "all": defaultdict(Counter),
            "persona": defaultdict(Counter),
            "question_type": defaultdict(Counter),
        }
        self.axes: list[str] = []  # category axes, in the order first seen

    def add(self, unit: UnitResult, run_duplicates: Mapping[str, str] = {}) -> None:
        """Count one unit; its records in `run_duplicates` were dropped as repeats of another unit's."""
        self.units += 1
        if unit.group_chunk_ids:  # a chunk group: its members are chunks of single-chunk units already
            self.group_ids.add(unit.chunk_id)
        else:
            self.chunk_ids.add(unit.chunk_id)
        self.persona_chunks[unit.persona] += 1
        self.interests[unit.persona] += len(unit.interests)
        if (
            not unit.group_chunk_ids
            and not unit.interests
            and not any(r.stage == "lm_error" for r in unit.rejections)
        ):
            self.passed[unit.persona] += 1
        for record in unit.records:
            if record.question_id in run_duplicates:
                self.rejected_by_stage["dedup"] += 1
                self._count(record, FUNNEL[:-1])  # the run-wide dedup comes last
            else:
                self._count(record, FUNNEL)
        for rejection in unit.rejections:
            self.rejected_by_stage[rejection.stage] += 1
            if rejection.question:  # the LM failed before a question existed otherwise
                self._count(rejection, FUNNEL[: _columns_passed(rejection)])

    def _count(self, item, columns: tuple[str, ...]) -> None:
        """Count a record or rejection in `columns` of its groups: all, its persona, its question type and
        its category on each axis."""
        for axis in item.categories:
            if axis not in self.funnel:
                self.funnel[axis] = defaultdict(Counter)
                self.axes.append(axis)
        groups = [
            ("all", "all"),
            ("persona", item.persona),
            ("question_type", item.question_type),
            *item.categories.items(),
        ]
        for key, group in groups:
            for column in columns:
                self.funnel[key][group][column] += 1

    def groups(self, key: str) -> dict[str, dict[str, int]]:
        names = sorted(self.persona_chunks) if key == "persona" else sorted(self.funnel[key])
        return {name: {c: self.funnel[key][name][c] for c in FUNNEL} for name in names}

    def counts(self) -> dict:
        overall = self.groups("all").get("all", dict.fromkeys(FUNNEL, 0))
        return {
            "chunks": len(self.chunk_ids),
            "chunk_groups": len(self.group_ids),
            "units": self.units,
            "interests": sum(self.interests.values()),
            "units_passed": sum(self.passed.values()),
            "passed_per_persona": {name: self.passed[name] for name in sorted(self.persona_chunks)},
            **overall,
            "rejected_by_stage": dict(self.rejected_by_stage),
            "per_persona": self.groups("persona"),
            "per_question_type": self.groups("question_type"),
            **({"per_category": {axis: self.groups(axis) for axis in self.axes}} if self.axes else {}),
        }

    def print(self, console: Console | None = None) -> None:
        console = console or Console(stderr=True)
        if not console.is_terminal:
            console = Console(stderr=True, width=150)
        titles = [
            ("persona", "per persona"),
            ("question_type", "per question type"),
            *((axis, f"per category of '{axis}'") for axis in self.axes),
        ]
        for key, title in titles:
            table = Table(title=f"personaqa: questions kept by each stage, {title}")
            table.add_column(key)
            if key == "persona":
                table.add_column("chunks", justify="right")
                table.add_column("interests", justify="right")
                table.add_column("passed", justify="right")
            for column in FUNNEL:
                table.add_column(column.replace("_", " "), justify="right")
            for group, counts in self.groups(key).items():
                extra = (
                    [str(self.persona_chunks[group]), str(self.interests[group]), str(self.passed[group])]
                    if key == "persona"
                    else []
                )
                table.add_row(group, *extra, *(str(counts[c]) for c in FUNNEL))
            console.print(table)


def why_nothing_kept(rejected: Path, top: int = 3) -> str:
    """'rejected at relevance 7 (e.g. "partially: ..."), style 3 (...)': the most frequent stages, each
    with one reason, read from rejected.jsonl."""
    stages: Counter[str] = Counter()
    example: dict[str, str] = {}
    for _, row in json_lines(rejected):
        stages[row["stage"]] += 1
        example.setdefault(row["stage"], row["reason"][:120])
    if not stages:
        return "no candidate question was written (no interests found, or the LM failed before any question)"
    return "rejected at " + ", ".join(
        f'{stage} {n} (e.g. "{example[stage]}")' for stage, n in stages.most_common(top)
    )
