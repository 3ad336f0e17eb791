"""LM calls and tokens per stage, counted from DSPy's usage tracker around each call."""

from __future__ import annotations

import contextvars
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import BaseModel


class StageUsage(BaseModel):
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def add(self, other: StageUsage) -> None:
        self.calls += other.calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens


class Ledger(BaseModel):
    """Usage of one unit of work (or a whole run, once merged), keyed by stage."""

    stages: dict[str, StageUsage] = {}

    def add(self, stage: str, usage: StageUsage) -> None:
        self.stages.setdefault(stage, StageUsage()).add(usage)

    def merge(self, other: Ledger) -> None:
        for stage, usage in other.stages.items():
            self.add(stage, usage)

    def total(self) -> StageUsage:
        total = StageUsage()
        for usage in self.stages.values():
            total.add(usage)
        return total


_lock = threading.Lock()  # a unit's questions may be judged in parallel threads sharing one ledger
_current: contextvars.ContextVar[Ledger | None] = contextvars.ContextVar("personaqa_ledger", default=None)


@contextmanager
def collecting(ledger: Ledger) -> Iterator[Ledger]:
    """Route the usage of LM calls made inside this block to `ledger`."""
    token = _current.set(ledger)
    try:
        yield ledger
    finally:
        _current.reset(token)


def record(stage: str, usage_by_lm: dict[str, list[dict]]) -> None:
    """Add what a `dspy.track_usage()` block saw to the current ledger (cache hits report nothing)."""
    ledger = _current.get()
    if ledger is None:
        return
    counted = StageUsage()
    for entries in usage_by_lm.values():
        for entry in entries:
            counted.calls += 1
            counted.input_tokens += int(entry.get("prompt_tokens") or 0)
            counted.output_tokens += int(entry.get("completion_tokens") or 0)
    with _lock:
        ledger.add(stage, counted)


def usage_table(ledger: Ledger) -> dict[str, dict[str, int]]:
    rows = defaultdict(dict)
    for stage, usage in ledger.stages.items():
        rows[stage] = usage.model_dump()
    return dict(rows)
