"""Finished (chunk, persona) units, appended as they complete, so an interrupted run resumes."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

from personaqa.programs.core.jsonl import complete_lines
from personaqa.programs.core.records import QuestionRecord, Rejection
from personaqa.programs.lm.usage import Ledger
from pydantic import BaseModel


class UnitResult(BaseModel):
    """Everything one (chunk, persona) produced; `order` is its position in an uninterrupted run."""

    order: int
    chunk_id: str  # the chunk's id, or a chunk group's id
    persona: str
    group_chunk_ids: list[str] = []  # a chunk group's member chunks; empty for a single chunk
    interests: list[str]
    records: list[QuestionRecord]
    rejections: list[Rejection]
    usage: Ledger

    @property
    def key(self) -> tuple[str, str]:
        return (self.chunk_id, self.persona)


class CheckpointLog:
    """Append-only JSONL of finished units. A torn last line (killed mid-write) is ignored and rewritten."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._index: tuple[tuple[int, int], dict[tuple[str, str], tuple[int, int]]] | None = None

    def load(self) -> dict[tuple[str, str], UnitResult]:
        """Every finished unit in memory (small runs and tests; large runs use `index` and `iter_ordered`)."""
        return {unit.key: unit for unit in self.iter_ordered()}

    def index(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(chunk_id, persona) → (order, byte offset) of each finished unit; drops a torn tail first. Read
        once per state of the file (its size and modification time), so the passes of `finalise` over an
        unchanged log do not parse it again to index it."""
        stamp = (self.path.stat().st_size, self.path.stat().st_mtime_ns) if self.path.exists() else (-1, -1)
        if self._index is not None and self._index[0] == stamp:
            return dict(self._index[1])
        found: dict[tuple[str, str], tuple[int, int]] = {}
        for offset, unit in complete_lines(self.path, UnitResult):
            found[unit.key] = (unit.order, offset)  # a unit written twice: the later line wins
        if self.path.exists():  # a torn tail dropped by complete_lines changed the file: stamp it after
            self._index = ((self.path.stat().st_size, self.path.stat().st_mtime_ns), found)
        return dict(found)

    def iter_ordered(self) -> Iterator[UnitResult]:
        """Finished units in run order, read one at a time (memory stays flat as the corpus grows)."""
        positions = sorted(self.index().values())
        if not positions:
            return
        with self.path.open("rb") as handle:
            for _, offset in positions:
                handle.seek(offset)
                yield UnitResult.model_validate_json(handle.readline())

    def append(self, unit: UnitResult) -> None:
        line = (unit.model_dump_json() + "\n").encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
