"""Filter stage: drop near-duplicates, unanswerable and unhelpful questions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dspy
from personaqa.programs.core.records import Chunk, Verdict
from personaqa.programs.corpus.embedding import Embedder
from personaqa.programs.lm.calls import call_lm
from personaqa.programs.recipe.text_views import numbered_passage
from personaqa.signatures import (
    ClassifyGenerality,
    ClassifyGeneralityBatch,
    JudgeRelevance,
    JudgeRelevanceBatch,
)
from personaqa.signatures.filters import MAX_BATCH


def near_duplicates(texts: Sequence[str], embedder: Embedder, threshold: float) -> dict[int, int]:
    """Map from the index of each near-duplicate to the index of the earlier text it repeats."""
    if len(texts) <= 1:  # nothing to compare: no encoding
        return {}
    vectors = embedder.encode(texts)
    similarity = vectors @ vectors.T
    repeats: dict[int, int] = {}
    kept: list[int] = []
    for i in range(len(texts)):
        match = next((k for k in kept if similarity[i, k] >= threshold), None)
        if match is None:
            kept.append(i)
        else:
            repeats[i] = match
    return repeats


@dataclass(frozen=True)
class RelevanceVerdict:
    """The relevance judge's verdict (its reason is the answer, or what is missing) and the numbers of the
    sentences it cites (1-based, as `text_views.numbered_passage` shows them)."""

    verdict: Verdict
    answer: str
    sentences: list[int]


class RelevanceJudge(dspy.Module):
    """Is the question fully answerable from its chunk? Only "fully" passes; the judge also cites the
    sentences that answer it and gives the answer (one call)."""

    passing = "fully"

    def __init__(self) -> None:
        super().__init__()
        self.judge = dspy.Predict(JudgeRelevance)

    def forward(self, chunk: Chunk, question: str, stage: str = "relevance") -> RelevanceVerdict:
        """The verdict on `question` against `chunk`; LM usage counted under `stage` (or `pool`)."""
        result = call_lm(stage, self.judge, passage=numbered_passage(chunk), question=question)
        return _relevance(result)


class GeneralityJudge(dspy.Module):
    """Insightful, or pedantic/general-knowledge, or missing context? Only "insightful" passes."""

    passing = "insightful"

    def __init__(self) -> None:
        super().__init__()
        self.classify = dspy.Predict(ClassifyGenerality)

    def forward(self, question: str) -> Verdict:
        result = call_lm("generality", self.classify, question=question)
        return Verdict(label=result.verdict, reason=result.reason)


def numbered(questions: Sequence[str]) -> str:
    return "\n".join(f"{i}. {q}" for i, q in enumerate(questions, start=1))


def batches(items: list, size: int = MAX_BATCH) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class BatchedFilters(dspy.Module):
    """The two judges, one LM call per batch of a unit's candidates instead of one per
    question. Answers are matched by number; a question the LM skipped has no entry."""

    def __init__(self) -> None:
        super().__init__()
        self.relevance = dspy.Predict(JudgeRelevanceBatch)
        self.generality = dspy.Predict(ClassifyGeneralityBatch)

    def judge_relevance(self, chunk: Chunk, questions: list[str]) -> dict[int, RelevanceVerdict]:
        return _per_question(
            "relevance", self.relevance, "verdicts", _relevance, questions, passage=numbered_passage(chunk)
        )

    def judge_generality(self, questions: list[str]) -> dict[int, Verdict]:
        return _per_question("generality", self.generality, "verdicts", _verdict, questions)


def _verdict(item) -> Verdict:
    return Verdict(label=item.verdict, reason=item.reason)


def _relevance(item) -> RelevanceVerdict:
    answer = " ".join(item.answer.split())
    return RelevanceVerdict(Verdict(label=item.verdict, reason=answer), answer, list(item.sentences))


def _per_question(
    stage: str, predictor: dspy.Predict, field: str, convert, questions: list[str], **inputs
) -> dict:
    """Ask in batches of numbered questions; map each numbered answer back to its question's index."""
    out: dict = {}
    for offset, batch in _offsets(questions):
        result = call_lm(stage, predictor, questions=numbered(batch), **inputs)
        out.update(
            {
                offset + item.number - 1: convert(item)
                for item in getattr(result, field)
                if 1 <= item.number <= len(batch)
            }
        )
    return out


def _offsets(questions: list[str]) -> list[tuple[int, list[str]]]:
    return [(i * MAX_BATCH, batch) for i, batch in enumerate(batches(questions))]
