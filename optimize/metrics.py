"""Metrics for compiling and comparing: judge scores, a weighted composite, and feedback text.

A target (the whole program or one stage) produces questions; the judge panel scores each on
the aspects that apply to it, the composite is their weighted mean, and the feedback joins the
reasons of every failed aspect (what GEPA-style optimizers read)."""

from __future__ import annotations

from dataclasses import dataclass, field

import dspy
from personaqa.optimize.judges import Judgement, JudgePanel
from personaqa.programs.core.records import Chunk, Persona
from pydantic import BaseModel, ConfigDict, Field

ASPECTS = ("relevance", "generality", "persona_fidelity")


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid")

    relevance: float = Field(default=1.0, ge=0)
    generality: float = Field(default=1.0, ge=0)
    persona_fidelity: float = Field(default=1.0, ge=0)

    def combine(self, scores: dict[str, float]) -> float:
        total = sum(getattr(self, a) for a in scores)
        return sum(getattr(self, a) * s for a, s in scores.items()) / total if total else 0.0


@dataclass
class QuestionScore:
    question: str
    judgements: dict[str, Judgement]
    composite: float

    def feedback(self) -> list[str]:
        return [
            f"{aspect} failed ({j.label}): {j.reason}" for aspect, j in self.judgements.items() if j.score < 1
        ]


@dataclass
class ExampleScore:
    """Score of one example: the mean over the questions the target produced (0 if none)."""

    composite: float
    aspects: dict[str, float]
    questions: list[QuestionScore] = field(default_factory=list)
    feedback: str = ""


@dataclass(frozen=True)
class Produced:
    """A question a target produced, with what the judges need to see."""

    chunk: Chunk
    persona: Persona
    question: str
    original: str | None = None  # set when `question` is a styled rewrite of `original`


def score_question(panel: JudgePanel, weights: Weights, item: Produced) -> QuestionScore:
    with panel.context():
        judgements = {
            "relevance": panel.relevance(item.chunk, item.question),
            "generality": panel.generality(item.question),
        }
        if item.original is not None:
            judgements["persona_fidelity"] = panel.fidelity(item.persona, item.original, item.question)
    composite = weights.combine({a: j.score for a, j in judgements.items()})
    return QuestionScore(item.question, judgements, composite)


def score_example(
    panel: JudgePanel, weights: Weights, produced: list[Produced], empty_reason: str
) -> ExampleScore:
    if not produced:
        return ExampleScore(0.0, dict.fromkeys(ASPECTS, 0.0), [], empty_reason)
    scored = [score_question(panel, weights, item) for item in produced]
    aspects = {
        a: sum(q.judgements[a].score for q in scored if a in q.judgements)
        / max(1, sum(a in q.judgements for q in scored))
        for a in ASPECTS
        if any(a in q.judgements for q in scored)
    }
    composite = sum(q.composite for q in scored) / len(scored)
    notes = [f"'{q.question}': {note}" for q in scored for note in q.feedback()]
    feedback = "\n".join(notes) or "All judges passed every question."
    return ExampleScore(composite, aspects, scored, feedback)


class JudgeMetric:
    """A DSPy metric over a target's output. Returns a float, or a Prediction(score, feedback) for GEPA."""

    def __init__(
        self, target, panel: JudgePanel, weights: Weights | None = None, with_feedback: bool = False
    ):
        self.target = target
        self.panel = panel
        self.weights = weights or Weights()
        self.with_feedback = with_feedback

    def score(self, example: dspy.Example, prediction: dspy.Prediction) -> ExampleScore:
        produced = self.target.produced(example, prediction)
        return score_example(self.panel, self.weights, produced, self.target.empty_reason(prediction))

    def __call__(self, example, prediction, trace=None, pred_name=None, pred_trace=None):
        result = self.score(example, prediction)
        if self.with_feedback:
            return dspy.Prediction(score=result.composite, feedback=result.feedback)
        return result.composite
