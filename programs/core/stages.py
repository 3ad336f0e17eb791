"""The recipe's stages, in the order a candidate question meets them: the one list that rejection records
(`Rejection.stage`), the usage ledger, the progress bars and the end-of-run table all read.

A question is written answer first (`generation`), its intended answer checked (`answer`), its language
checked, given the name of what its document is about when it lacks it or rejected as missing context
(`context`), styled, judged for relevance (with its quoted evidence; the judge's blind answer must give the
intended answer back, `roundtrip`; for a multi-chunk question, whether one chunk alone suffices) and for
generality, and dropped last if it repeats a question already kept (`dedup`). `lm_error` is a failed LM call
at any of them (its reason names the stage first)."""

from __future__ import annotations

from typing import Literal, get_args

Stage = Literal[
    "interests",
    "question_types",
    "generation",
    "answer",
    "language",
    "context",
    "style",
    "relevance",
    "evidence",
    "roundtrip",
    "single_chunk_suffices",
    "generality",
    "dedup",
    "lm_error",
]
STAGES: tuple[Stage, ...] = get_args(Stage)

# Stages that call an LM: their calls and tokens are counted per stage and shown as progress bars, in order.
LM_STAGES: tuple[Stage, ...] = tuple(
    s
    for s in STAGES
    if s in {"interests", "question_types", "generation", "context", "style", "relevance", "generality"}
)

# The end-of-run funnel: each column counts the questions that passed every stage up to the one named.
FUNNEL: dict[str, Stage] = {
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
