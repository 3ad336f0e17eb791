"""The recipe as a run configures it: SyntheticEvalProgram with the run's embedder, question types, judge LM
and (optionally) compiled state. Generate, compile and compare all build their program here."""

from __future__ import annotations

from pathlib import Path

from personaqa.programs.config import RunConfig
from personaqa.programs.corpus.embedding import load_embedder
from personaqa.programs.lm.build import build_lm
from personaqa.programs.recipe.pipeline import ProgramSettings, SyntheticEvalProgram
from personaqa.programs.recipe.program_io import load_program_state


def build_program(
    config: RunConfig, program_path: Path | None = None, fan_out: int = 1
) -> SyntheticEvalProgram:
    """The program with the run's embedder, question types, judge LM and (optionally) compiled state."""
    settings = ProgramSettings(
        interest_dedup_threshold=config.interest_dedup_threshold,
        question_dedup_threshold=config.question_dedup_threshold,
        persona_stake_threshold=config.persona_stake_threshold,
        max_interests=config.max_interests,
        max_types_per_interest=config.max_types_per_interest,
        type_selection=config.question_type_selection,
        type_weights=tuple(config.question_type_weights.items()),
        own_wording_share=config.own_wording_share,
        batched_filters=config.batched_filters,
        fan_out=fan_out,
        categorisations={axis: dict(categories) for axis, categories in config.categorisations.items()},
    )
    judge = build_lm(config.judge_lm) if config.judge_lm else None
    program = SyntheticEvalProgram(
        load_embedder(config.embedder), config.type_descriptions(), settings, judge
    )
    if program_path is not None:
        load_program_state(program, program_path)
    return program
