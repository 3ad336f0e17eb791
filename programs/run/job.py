"""What a generate run is asked to do (`GenerationJob`) and what it reports back (`RunReport`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from personaqa.programs.config import RunConfig
from personaqa.programs.core.records import Persona
from personaqa.programs.lm.usage import Ledger

WORK_DIR = ".personaqa"  # inside --out: checkpoints, the LM cache, the fingerprint of the inputs


@dataclass
class GenerationJob:
    config: RunConfig
    doc_paths: list[Path]
    personas: list[Persona]
    out_dir: Path
    program_path: Path | None = None
    workers: int = 1
    overwrite: bool = False
    show_progress: bool = True
    mlflow: bool = True
    engine: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    max_calls: int | None = None  # stop starting units once this session made this many LM calls


@dataclass
class RunReport:
    out_dir: Path
    usage_this_session: Ledger
    wall_seconds: float
    counts: dict = field(default_factory=dict)
    structured_output: str | None = None  # the form the task LM's endpoint took (probed or configured)
