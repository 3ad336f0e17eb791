"""Filter stage: drop near-duplicates, unanswerable and unhelpful questions; make the rest conversational."""

from __future__ import annotations

from collections.abc import Sequence

import dspy

from personaqa.programs.embedding import Embedder
from personaqa.programs.lm_calls import call_lm
from personaqa.programs.records import Chunk, Verdict
from personaqa.programs.text_views import passage_text
from personaqa.signatures import ClassifyGenerality, JudgeRelevance, RewriteConversational


def near_duplicates(texts: Sequence[str], embedder: Embedder, threshold: float) -> dict[int, int]:
    """Map from the index of each near-duplicate to the index of the earlier text it repeats."""
    if not texts:
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


class RelevanceJudge(dspy.Module):
    """Is the question fully answerable from its chunk? Only "fully" passes."""

    passing = "fully"

    def __init__(self) -> None:
        super().__init__()
        self.judge = dspy.Predict(JudgeRelevance)

    def forward(self, chunk: Chunk, question: str) -> Verdict:
        result = call_lm("relevance", self.judge, passage=passage_text(chunk), question=question)
        return Verdict(label=result.verdict, reason=result.reason)


class ConversationalRewriter(dspy.Module):
    """Natural, search-box phrasing of a question, same meaning and identifiers."""

    def __init__(self) -> None:
        super().__init__()
        self.rewrite = dspy.Predict(RewriteConversational)

    def forward(self, question: str) -> str:
        result = call_lm("conversational", self.rewrite, question=question)
        return " ".join(result.conversational_question.split())


class GeneralityJudge(dspy.Module):
    """Insightful, or pedantic/general-knowledge, or missing context? Only "insightful" passes."""

    passing = "insightful"

    def __init__(self) -> None:
        super().__init__()
        self.classify = dspy.Predict(ClassifyGenerality)

    def forward(self, question: str) -> Verdict:
        result = call_lm("generality", self.classify, question=question)
        return Verdict(label=result.verdict, reason=result.reason)
