"""Finished (chunk, persona) units, appended as they complete, so an interrupted run resumes."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from pydantic import BaseModel, ValidationError

from personaqa.programs.records import QuestionRecord, Rejection
from personaqa.programs.usage import Ledger


class UnitResult(BaseModel):
    """Everything one (chunk, persona) produced; `order` is its position in an uninterrupted run."""

    order: int
    chunk_id: str
    persona: str
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

    def load(self) -> dict[tuple[str, str], UnitResult]:
        done: dict[tuple[str, str], UnitResult] = {}
        if not self.path.exists():
            return done
        valid_bytes = 0
        with self.path.open("rb") as handle:
            for raw in handle:
                try:
                    unit = UnitResult.model_validate(json.loads(raw))
                except (json.JSONDecodeError, ValidationError, UnicodeDecodeError):
                    break
                if not raw.endswith(b"\n"):
                    break
                done[unit.key] = unit
                valid_bytes += len(raw)
        if valid_bytes != self.path.stat().st_size:
            with self.path.open("r+b") as handle:
                handle.truncate(valid_bytes)
        return done

    def append(self, unit: UnitResult) -> None:
        line = (unit.model_dump_json() + "\n").encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
