"""Counts per stage (overall, per persona, per question type), tallied unit by unit, and the end-of-run table."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

from rich.console import Console
from rich.table import Table

from personaqa.programs.checkpoints import UnitResult

FUNNEL = ("generated", "after_dedup", "after_style", "after_relevance", "kept")
# A rejection at stage S counts in the funnel columns before S only (the run-wide dedup comes last).
_KEPT_UNTIL = {"language": 1, "dedup": 1, "style": 2, "relevance": 3, "evidence": 3, "single_chunk_suffices": 3,
               "generality": 4, "run_dedup": 4}


def _columns_passed(rejection) -> int:
    """How many funnel columns a rejected question counts in. An LM failure counts up to the step it
    failed in, which its reason names first ("relevance: ValueError: ...")."""
    stage = rejection.stage
    if stage == "lm_error":
        stage = rejection.reason.split(":", 1)[0].removeprefix("complex_")
    return _KEPT_UNTIL.get(stage, 1)


class RunTally:
    """Streaming counts over finished units: nothing but counters is kept."""

    def __init__(self) -> None:
        self.units = 0
        self.chunk_ids: set[str] = set()
        self.group_ids: set[str] = set()
        self.interests: Counter[str] = Counter()
        self.persona_chunks: Counter[str] = Counter()
        self.rejected_by_stage: Counter[str] = Counter()
        self.funnel: dict[str, dict[str, Counter[str]]] = {"all": defaultdict(Counter),
                                                           "persona": defaultdict(Counter),
                                                           "question_type": defaultdict(Counter)}

    def add(self, unit: UnitResult, run_duplicates: Mapping[str, str] = {}) -> None:
        """Count one unit; its records in `run_duplicates` were dropped as repeats of another unit's."""
        self.units += 1
        if unit.group_chunk_ids:  # a chunk group: its members are chunks of single-chunk units already
            self.group_ids.add(unit.chunk_id)
        else:
            self.chunk_ids.add(unit.chunk_id)
        self.persona_chunks[unit.persona] += 1
        self.interests[unit.persona] += len(unit.interests)
        for record in unit.records:
            if record.question_id in run_duplicates:
                self.rejected_by_stage["dedup"] += 1
                self._count(record.persona, record.question_type, FUNNEL[: _KEPT_UNTIL["run_dedup"]])
            else:
                self._count(record.persona, record.question_type, FUNNEL)
        for rejection in unit.rejections:
            self.rejected_by_stage[rejection.stage] += 1
            if rejection.question:  # the LM failed before a question existed otherwise
                self._count(rejection.persona, rejection.question_type, FUNNEL[: _columns_passed(rejection)])

    def _count(self, persona: str, question_type: str, columns: tuple[str, ...]) -> None:
        for key, group in (("all", "all"), ("persona", persona), ("question_type", question_type)):
            for column in columns:
                self.funnel[key][group][column] += 1

    def groups(self, key: str) -> dict[str, dict[str, int]]:
        names = sorted(self.persona_chunks) if key == "persona" else sorted(self.funnel[key])
        return {name: {c: self.funnel[key][name][c] for c in FUNNEL} for name in names}

    def counts(self) -> dict:
        overall = self.groups("all").get("all", dict.fromkeys(FUNNEL, 0))
        return {"chunks": len(self.chunk_ids), "chunk_groups": len(self.group_ids), "units": self.units,
                "interests": sum(self.interests.values()),
                **overall, "rejected_by_stage": dict(self.rejected_by_stage),
                "per_persona": self.groups("persona"), "per_question_type": self.groups("question_type")}

    def print(self, console: Console | None = None) -> None:
        console = console or Console(stderr=True)
        if not console.is_terminal:
            console = Console(stderr=True, width=150)
        for key, title in (("persona", "per persona"), ("question_type", "per question type")):
            table = Table(title=f"personaqa: questions kept by each stage, {title}")
            table.add_column(key)
            if key == "persona":
                table.add_column("chunks", justify="right")
                table.add_column("interests", justify="right")
            for column in FUNNEL:
                table.add_column(column.replace("_", " "), justify="right")
            for group, counts in self.groups(key).items():
                extra = [str(self.persona_chunks[group]), str(self.interests[group])] if key == "persona" else []
                table.add_row(group, *extra, *(str(counts[c]) for c in FUNNEL))
            console.print(table)
