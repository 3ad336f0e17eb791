"""LLM judges as DSPy modules: each returns a 0/1 score with the judge's reason."""

from __future__ import annotations

from dataclasses import dataclass

import dspy
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.lm.calls import StageFailure, call_lm
from personaqa.programs.recipe.text_views import passage_text, persona_text
from personaqa.signatures import RateAnswerability, RateGenerality, RatePersonaFidelity


@dataclass(frozen=True)
class Judgement:
    score: float
    label: str
    reason: str


def _failed(failure: StageFailure) -> Judgement:
    return Judgement(0.0, "judge_error", str(failure))


class RelevanceJudge(dspy.Module):
    """Is the question fully answerable from its passage alone?"""

    name = "relevance"

    def __init__(self) -> None:
        super().__init__()
        self.rate = dspy.Predict(RateAnswerability)

    def forward(self, chunk: Chunk, question: str) -> Judgement:
        try:
            out = call_lm("judge_relevance", self.rate, passage=passage_text(chunk), question=question)
        except StageFailure as failure:
            return _failed(failure)
        return Judgement(float(out.answerable == "yes"), out.answerable, out.reason)


class GeneralityJudge(dspy.Module):
    """Specific and insightful, and understandable without the passage?"""

    name = "generality"

    def __init__(self) -> None:
        super().__init__()
        self.rate = dspy.Predict(RateGenerality)

    def forward(self, question: str) -> Judgement:
        try:
            out = call_lm("judge_generality", self.rate, question=question)
        except StageFailure as failure:
            return _failed(failure)
        return Judgement(float(out.rating == "good"), out.rating, out.reason)


class PersonaFidelityJudge(dspy.Module):
    """Does the styled question read like the persona, keep the need, and not leak the persona?"""

    name = "persona_fidelity"

    def __init__(self) -> None:
        super().__init__()
        self.rate = dspy.Predict(RatePersonaFidelity)

    def forward(self, persona: Persona, original_question: str, rewritten_question: str) -> Judgement:
        try:
            out = call_lm(
                "judge_fidelity",
                self.rate,
                persona=persona_text(persona),
                original_question=original_question,
                rewritten_question=rewritten_question,
            )
        except StageFailure as failure:
            return _failed(failure)
        return Judgement(float(out.rating == "faithful"), out.rating, out.reason)


class JudgePanel:
    """The three judges on one (optional) judge LM; not a dspy.Module so optimizers never tune it."""

    def __init__(self, judge_lm: dspy.LM | None = None):
        self.judge_lm = judge_lm
        self.relevance = RelevanceJudge()
        self.generality = GeneralityJudge()
        self.fidelity = PersonaFidelityJudge()

    def __deepcopy__(self, memo: dict) -> JudgePanel:
        return self

    def context(self):
        """Judge calls run on the judge LM and stay out of the optimizer's trace."""
        from personaqa.programs.lm.build import adapter_for

        if self.judge_lm:
            return dspy.context(lm=self.judge_lm, adapter=adapter_for(self.judge_lm), trace=None)
        return dspy.context(adapter=adapter_for(dspy.settings.lm), trace=None)
