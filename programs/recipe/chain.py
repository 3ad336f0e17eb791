"""The chain: the recipe's steps in the order a candidate question meets them. It is the one place that
names that order; the program walks it on one chunk, with batched judges and on chunk groups
(`pipeline.SyntheticEvalProgram`), and the stage names of rejections, the LM stages counted in the usage
ledger and shown as progress bars, the exported verdict fields and the end-of-run funnel derive from it.

A step's `check` (steps/) turns a candidate into a kept one (None) or a `Rejection`; a failed LM call in it
rejects the candidate at `lm_error`, whose reason names the step first. Steps without a check make
candidates or drop them as a unit: a persona's points of interest in the chunk (`interests`), the question
types of each (`question_types`), the question and its intended answer, written together (`generation`,
whose check then reads the question's form), and last the unit's near-duplicates (`dedup`). To add a
deterministic filter, add one `Step` with its check here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from personaqa.programs.recipe.steps import judged, written

if TYPE_CHECKING:
    import dspy
    from personaqa.programs.core.records import Rejection
    from personaqa.programs.recipe.candidate import Candidate
    from personaqa.programs.recipe.unit import Unit

    Check = Callable[[dspy.Module, Unit, Candidate], Rejection | None]
    BatchCheck = Callable[[dspy.Module, Unit, list[Candidate]], list[Rejection | None]]


@dataclass(frozen=True)
class Step:
    name: str  # the stage its LM calls are counted under and its rejections carry
    calls_lm: bool = False
    check: Check | None = None
    # the same check over a batch of the unit's candidates, one LM call a batch (`batched_filters`)
    batch: BatchCheck | None = None
    rejects_as: tuple[str, ...] = ()  # further stages its rejections may carry, in the funnel's order
    verdict: str = ""  # the field of the record its verdict fills ("" for none)
    # run over all the unit's written questions, step by step (a judge's calls on one passage follow each
    # other, and llama.cpp reuses the evaluated passage), not on each question as it is written
    gathered: bool = False


CHAIN: tuple[Step, ...] = (
    Step("interests", calls_lm=True),
    Step("question_types", calls_lm=True),
    Step("generation", calls_lm=True, check=written.form),
    Step("answer", check=written.answer),
    Step("language", check=written.language),
    Step("context", calls_lm=True, check=written.context),
    Step("style", calls_lm=True, check=judged.style, gathered=True),
    Step(
        "relevance",
        calls_lm=True,
        check=judged.relevance,
        batch=judged.relevance_batch,
        rejects_as=("evidence", "roundtrip", "single_chunk_suffices"),
        verdict="relevance",
        gathered=True,
    ),
    Step(
        "generality",
        calls_lm=True,
        check=judged.generality,
        batch=judged.generality_batch,
        verdict="generality",
        gathered=True,
    ),
    Step("dedup"),
)


def stages(chain: Sequence[Step] = CHAIN) -> tuple[str, ...]:
    """Every stage a rejection can carry, in the chain's order, then `lm_error` (a failed LM call)."""
    return (*(name for step in chain for name in (step.name, *step.rejects_as)), "lm_error")


STAGES = stages()
LM_STAGES = tuple(step.name for step in CHAIN if step.calls_lm)
VERDICTS = tuple(step.verdict for step in CHAIN if step.verdict)

# The end-of-run funnel: each column counts the questions that passed every stage up to the one named.
FUNNEL: dict[str, str] = {
    "generated": "generation",
    "after_style": "style",
    "after_relevance": "single_chunk_suffices",
    "after_generality": "generality",
    "kept": "dedup",
}


def columns_passed(stage: str) -> int:
    """How many funnel columns a question rejected at `stage` counts in: those whose last stage comes before
    `stage`, and at least `generated` (the question exists). `lm_error`, which names no step, and a stage not
    in STAGES count in `generated` only."""
    if stage not in STAGES or stage == "lm_error":
        return 1
    return max(1, sum(STAGES.index(last) < STAGES.index(stage) for last in FUNNEL.values()))
