"""One unit of work: a (chunk or chunk group, persona) turned by the program and its LM into a
checkpointable UnitResult. Every executor (local threads, Ray workers) runs units through a UnitRunner."""

from __future__ import annotations

import threading
from pathlib import Path

import dspy
from personaqa.programs.config import RunConfig
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.corpus.overlap import ChunkGroup
from personaqa.programs.lm.build import adapter_for, build_lm
from personaqa.programs.lm.calls import sharing_call_slots
from personaqa.programs.recipe.build import build_program
from personaqa.programs.run.checkpoints import UnitResult

Unit = tuple[int, Chunk | ChunkGroup, Persona]  # (order in the run, chunk or group, persona)


class UnitRunner:
    """A program and its LM that turn one (chunk or chunk group, persona) into a checkpointable UnitResult."""

    def __init__(
        self, config: RunConfig, program_path: Path | None = None, workers: int = 1, personas: int = 1
    ):
        """`personas`: how many personas the run has; a chunk unit's persona position is its order modulo
        that (plan.pending_units orders units chunk by chunk, persona by persona)."""
        self.config = config
        self.personas = personas
        # With several workers a unit's questions are judged side by side too, and `workers` slots cap the
        # LM calls in flight: the endpoint stays busy to the last unit, never above the asked concurrency.
        self.program = build_program(config, program_path, fan_out=workers)
        self.slots = threading.BoundedSemaphore(workers) if workers > 1 else None
        self.lm = build_lm(config.lm)

    def __call__(self, order: int, source: Chunk | ChunkGroup, persona: Persona) -> UnitResult:
        with sharing_call_slots(self.slots), dspy.context(lm=self.lm, adapter=adapter_for(self.lm)):
            if isinstance(source, ChunkGroup):
                types = _rotate(self.config.complex_question_types, order)[
                    : self.config.complex_types_per_group
                ]
                out = self.program.group(list(source.chunks), persona, types)
                key, members = source.group_id, [c.chunk_id for c in source.chunks]
            else:
                slot = (order % self.personas, self.personas) if self.personas > 1 else None
                out = self.program(chunk=source, persona=persona, persona_slot=slot)
                key, members = source.chunk_id, []
        return UnitResult(
            order=order,
            chunk_id=key,
            persona=persona.name,
            group_chunk_ids=members,
            interests=out.interests,
            records=out.records,
            rejections=out.rejections,
            usage=out.usage,
        )


def _rotate(items: list[str], by: int) -> list[str]:
    """Spread complex question types over groups instead of always starting with the first."""
    return items[by % len(items) :] + items[: by % len(items)] if items else []
