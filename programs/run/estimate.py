"""`generate --dry-run`: what a run would cost before its first LM call.

The documents are read and chunked as the run would, and every (chunk, persona) unit meets the persona stake
gate (`recipe/stake.py`, the embedder only): a unit below `persona_stake_threshold` makes no LM call. The
units that are asked are multiplied by the LM calls and tokens that a measured run of the program spent per
asked unit (`MEASURED`, refreshed from a run's run.json by `experiments/calls_per_unit.py`). Multi-chunk units
(`complex_ratio`) are scaled by their own measured rate (`MEASURED_MULTI_CHUNK`) when there is one; otherwise
they are counted at the single-chunk rate and the report says that this part is an extrapolation. An endpoint
model that LiteLLM's offline price list knows gets a cost in US dollars.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personaqa.programs.config import EMBEDDED_LM, RunConfig
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.corpus.embedding import load_embedder
from personaqa.programs.recipe.program_io import default_program
from personaqa.programs.recipe.stake import stake
from personaqa.programs.run.job import GenerationJob
from personaqa.programs.run.plan import complex_units, fingerprint, iter_chunks


@dataclass(frozen=True)
class MeasuredRun:
    """What one real run spent: LM calls per stage, tokens and kept questions over its asked units (the units
    that passed the persona stake gate and so called the LM)."""

    source: str  # which run, when, on which code and LM
    asked_units: int
    calls: dict[str, int]  # stage -> LM calls
    input_tokens: int
    output_tokens: int
    kept: int

    def per_unit(self, count: float) -> float:
        return count / self.asked_units


# The sample run of the default program on the embedded LM (main job, commit 010ef0b, 2026-12-03): 21 units,
# 7 passed by the stake gate, 14 asked; 143 LM calls, 27 questions kept, 818 s on 2 CPU cores.
# `python experiments/calls_per_unit.py OUT_DIR` prints this entry from another run's run.json.
MEASURED: dict[str, MeasuredRun] = {
    "default": MeasuredRun(
        source="sample run of the default program on the embedded LM, 2026-12-03 (commit 010ef0b)",
        asked_units=14,
        calls={
            "interests": 14,
            "generation": 39,
            "context": 22,
            "style": 3,
            "relevance": 36,
            "generality": 29,
        },
        input_tokens=60243,
        output_tokens=5528,
        kept=27,
    ),
}


# Multi-chunk units measured on their own (a run whose asked units are all multi-chunk), by program. None is
# measured yet: a multi-chunk unit writes and judges one question per type over two or three chunks, so its
# cost per unit differs from a single-chunk unit's, and until it is measured the estimate extrapolates.
MEASURED_MULTI_CHUNK: dict[str, MeasuredRun] = {}


@dataclass
class Estimate:
    """A dry run's counts and its estimate of the LM work; `cost_usd` None when the model has no known price
    (in-process models cost nothing per token)."""

    documents: int
    chunks: int
    personas: int
    units: int  # (chunk, persona) units plus multi-chunk units
    asked_units: int  # units that pass the stake gate and call the LM
    complex_units: int
    calls_by_stage: dict[str, int]
    pooled_judge_calls: int  # at most, with --pool-depth
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    basis: str  # which measured run the figures scale
    notes: list[str] = field(default_factory=list)
    # calls and tokens of the multi-chunk units scaled at the single-chunk rate, for want of a measured one
    multi_chunk_extrapolated: bool = False

    @property
    def calls(self) -> int:
        return sum(self.calls_by_stage.values()) + self.pooled_judge_calls


def estimate_run(job: GenerationJob) -> Estimate:
    """Read, chunk and gate `job`'s inputs (no LM is built or called) and scale the measured run to them.
    Bad input raises InputError as the run itself would."""
    config = job.config
    chunks = list(iter_chunks(job))
    fingerprint(job, chunks)  # every input check the run makes first (program file, empty documents)
    documents = len({chunk.doc_id for chunk in chunks})
    asked = sum(asked_personas(chunks, job.personas, config))
    groups = len(complex_units(job, len(chunks), chunks))
    measured, basis_note = measured_for(job.program_path)
    multi = measured_multi_chunk_for(job.program_path) if groups else None
    # (measured run, units it scales to): the multi-chunk units by their own rate when measured
    parts = [(measured, asked + groups)] if multi is None else [(measured, asked), (multi, groups)]

    def scaled(count: Callable[[MeasuredRun], int]) -> float:
        return sum(run.per_unit(count(run)) * units for run, units in parts)

    stages = dict.fromkeys(stage for run, _ in parts for stage in run.calls)
    calls = {stage: round(scaled(lambda run, stage=stage: run.calls.get(stage, 0))) for stage in stages}
    pooled = round(scaled(lambda run: run.kept) * 2 * config.pool_depth)
    input_tokens = round(scaled(lambda run: run.input_tokens))
    output_tokens = round(scaled(lambda run: run.output_tokens))
    notes = [basis_note] if basis_note else []
    if groups and multi is None:
        notes.append(
            f"extrapolation: the {groups} multi-chunk units are counted at the single-chunk rate; no run of "
            "multi-chunk units has been measured, so their share of the calls and tokens is a guess"
        )
    elif multi is not None:
        notes.append(f"multi-chunk units scaled from: {multi.source}")
    if pooled:
        notes.append(
            f"pooled judging: at most {pooled} judge calls (2 x --pool-depth per kept question), "
            "not in the token count"
        )
    return Estimate(
        documents=documents,
        chunks=len(chunks),
        personas=len(job.personas),
        units=len(chunks) * len(job.personas) + groups,
        asked_units=asked,
        complex_units=groups,
        calls_by_stage=calls,
        pooled_judge_calls=pooled,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=price(config, input_tokens, output_tokens),
        basis=measured.source,
        notes=notes,
        multi_chunk_extrapolated=bool(groups) and multi is None,
    )


def asked_personas(chunks: list[Chunk], personas: list[Persona], config: RunConfig) -> list[int]:
    """For each chunk, how many personas the stake gate lets ask about it (as `SyntheticEvalProgram.passes`:
    a persona without examples, or a threshold of 0, always asks)."""
    threshold = config.persona_stake_threshold
    if threshold <= 0 or not any(p.examples for p in personas):
        return [len(personas)] * len(chunks)
    embedder = load_embedder(config.embedder)
    counts = []
    for chunk in chunks:
        scores = [stake(chunk, persona, embedder) for persona in personas]
        counts.append(sum(score is None or score >= threshold for score in scores))
    return counts


def measured_for(program_path: Path | None) -> tuple[MeasuredRun, str | None]:
    """The measured run for the chosen program, and a note when it is another program's."""
    if program_path is not None and program_path.resolve() == default_program().resolve():
        return MEASURED["default"], None
    which = "the prompts as written (baseline)" if program_path is None else str(program_path)
    return MEASURED["default"], f"no measured run of {which}: scaled from the default program's"


def measured_multi_chunk_for(program_path: Path | None) -> MeasuredRun | None:
    """The measured multi-chunk rate of the chosen program; None when there is none (the caller
    extrapolates)."""
    if program_path is not None and program_path.resolve() == default_program().resolve():
        return MEASURED_MULTI_CHUNK.get("default")
    return None


def price(config: RunConfig, input_tokens: int, output_tokens: int) -> float | None:
    """US dollars for the tokens on the task LM by LiteLLM's bundled price list (offline); None when the
    model is in-process or not priced there (self-hosted endpoints)."""
    model = config.lm.model
    if model == EMBEDDED_LM or model.startswith(("embedded:", "gguf:")):
        return None
    import litellm

    try:
        prompt, completion = litellm.cost_per_token(
            model=model, prompt_tokens=input_tokens, completion_tokens=output_tokens
        )
    except Exception:  # noqa: BLE001 - LiteLLM raises several kinds for a model it does not price
        return None
    return float(prompt + completion)


def describe(estimate: Estimate, config: RunConfig) -> list[str]:
    """The dry run's report, one line each."""
    stages = ", ".join(f"{stage} {n}" for stage, n in estimate.calls_by_stage.items())
    passed = estimate.units - estimate.complex_units - estimate.asked_units
    lines = [
        f"documents: {estimate.documents}, chunks: {estimate.chunks}, personas: {estimate.personas}",
        f"units: {estimate.units} ({passed} passed by the persona stake gate, no LM call; "
        f"{estimate.asked_units} asked"
        + (f"; {estimate.complex_units} multi-chunk" if estimate.complex_units else "")
        + ")",
        f"estimated LM calls: {estimate.calls} ({stages}"
        + (f", pooled judging {estimate.pooled_judge_calls}" if estimate.pooled_judge_calls else "")
        + ")"
        + (" (multi-chunk part extrapolated, see note)" if estimate.multi_chunk_extrapolated else ""),
        f"estimated tokens: {estimate.input_tokens} in, {estimate.output_tokens} out",
    ]
    if estimate.cost_usd is not None:
        lines.append(f"estimated cost: ${estimate.cost_usd:.4f} on {config.lm.model} (LiteLLM's price list)")
    else:
        lines.append(f"estimated cost: no per-token price for {config.lm.model}")
    lines.append(f"basis: {estimate.basis}")
    lines.extend(f"note: {note}" for note in estimate.notes)
    return lines


def summary(estimate: Estimate) -> dict[str, Any]:
    """The estimate as JSON-ready data."""
    from dataclasses import asdict

    return {**asdict(estimate), "calls": estimate.calls}
