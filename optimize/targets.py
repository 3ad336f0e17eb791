"""What can be compiled: the whole program, or one stage of it, each with its own inputs and outputs.

A target wraps a SyntheticEvalProgram, exposes the predictors to optimize, turns a labelled
example into the target's inputs, and says which questions its output produced for the judges."""

from __future__ import annotations

import dspy
from personaqa.optimize.labels import LabelledExample
from personaqa.optimize.metrics import ExampleScore, JudgeMetric, Produced
from personaqa.programs.lm.calls import StageFailure, call_lm
from personaqa.programs.recipe.pipeline import SyntheticEvalProgram
from personaqa.programs.recipe.text_views import language_label, passage_text, persona_text


class QuestionTarget(dspy.Module):
    """A target whose output is questions, scored by the LLM-judge panel; one example per labelled passage."""

    def examples(self, labelled: LabelledExample) -> list[dspy.Example]:
        return [self.example(labelled)]  # type: ignore[attr-defined]

    def metric(self, panel, weights) -> JudgeMetric:
        return JudgeMetric(self, panel, weights)


class ProgramTarget(QuestionTarget):
    """The whole recipe: (chunk, persona) → styled, filtered questions."""

    name = "program"

    def __init__(self, program: SyntheticEvalProgram):
        super().__init__()
        self.program = program

    def forward(self, chunk, persona):
        return self.program(chunk=chunk, persona=persona)

    @staticmethod
    def example(labelled: LabelledExample) -> dspy.Example:
        return dspy.Example(chunk=labelled.chunk, persona=labelled.persona, labelled=labelled).with_inputs(
            "chunk", "persona"
        )

    @staticmethod
    def produced(example: dspy.Example, prediction: dspy.Prediction) -> list[Produced]:
        return [
            Produced(example.chunk, example.persona, r.question, r.original_question)
            for r in prediction.records
        ]

    @staticmethod
    def empty_reason(prediction: dspy.Prediction) -> str:
        stages = sorted({r.stage for r in prediction.rejections})
        return f"No question survived the filters (rejected at: {', '.join(stages) or 'generation'})."

    def install(self, program: SyntheticEvalProgram) -> None:
        program.load_state(self.program.dump_state())


class WriterTarget(QuestionTarget):
    """The question writer alone: (persona, passage, interest, type) → question."""

    name = "writer"

    def __init__(self, program: SyntheticEvalProgram):
        super().__init__()
        self.write = program.writer.write.deepcopy()
        self.type_descriptions = program.writer.type_descriptions

    def forward(self, persona, passage, interest, question_type):
        return call_lm(
            "generation",
            self.write,
            persona=persona,
            passage=passage,
            interest=interest,
            question_type=question_type,
            language=language_label(passage),
        )

    def example(self, labelled: LabelledExample) -> dspy.Example:
        description = self.type_descriptions.get(labelled.question_type, "")
        return dspy.Example(
            persona=persona_text(labelled.persona),
            passage=passage_text(labelled.chunk),
            interest=labelled.interest,
            question_type=f"{labelled.question_type}: {description}",
            question=labelled.question or "",
            labelled=labelled,
        ).with_inputs("persona", "passage", "interest", "question_type")

    @staticmethod
    def produced(example: dspy.Example, prediction: dspy.Prediction) -> list[Produced]:
        labelled = example.labelled
        return (
            [Produced(labelled.chunk, labelled.persona, prediction.question)] if prediction.question else []
        )

    @staticmethod
    def empty_reason(prediction: dspy.Prediction) -> str:
        return "The writer produced no question."

    def install(self, program: SyntheticEvalProgram) -> None:
        program.writer.write.load_state(self.write.dump_state())


class StylistTarget(QuestionTarget):
    """The style rewrite alone: (question, writing style) → styled question."""

    name = "stylist"

    def __init__(self, program: SyntheticEvalProgram):
        super().__init__()
        self.stylist = program.stylist.deepcopy()

    def forward(self, question, persona):
        try:
            return dspy.Prediction(styled_question=self.stylist(question, persona))
        except StageFailure:
            return dspy.Prediction(styled_question="")

    def example(self, labelled: LabelledExample) -> dspy.Example:
        """Inputs are (question, persona); a faithful human rewrite, when there is one, is the label, with
        the persona's writing style as the rewrite sees it at generate time (`PersonaStylist.writing_style`,
        derived by the LM once per persona) and the question's language, so labelled demos show the
        rewrite step exactly the inputs it gets in a run."""
        faithful = next((s for s in labelled.styled if s.faithful), None)
        question = (
            faithful.question
            if faithful
            else labelled.question or next((s.question for s in labelled.styled), "")
        )
        labels = (
            {
                "style": self.stylist.writing_style(labelled.persona),
                "language": language_label(question),
                "styled_question": faithful.styled_question,
            }
            if faithful
            else {}
        )
        return dspy.Example(
            question=question, persona=labelled.persona, labelled=labelled, **labels
        ).with_inputs("question", "persona")

    @staticmethod
    def produced(example: dspy.Example, prediction: dspy.Prediction) -> list[Produced]:
        labelled = example.labelled
        styled = prediction.styled_question
        return [Produced(labelled.chunk, labelled.persona, styled, example.question)] if styled else []

    @staticmethod
    def empty_reason(prediction: dspy.Prediction) -> str:
        return "The stylist produced no rewrite."

    def install(self, program: SyntheticEvalProgram) -> None:
        program.stylist.describe.load_state(self.stylist.describe.dump_state())
        program.stylist.rewrite.load_state(self.stylist.rewrite.dump_state())


# Human labels of candidate questions, as the generality filter's verdicts ("not_answerable" and
# "off_persona" are other stages' faults and are left out).
GENERALITY_LABELS = {
    None: "insightful",
    "too_general": "pedantic_or_general",
    "missing_context": "missing_context",
}
_GENERALITY_REASONS = {
    None: "names its subject, asks for something specific",
    "too_general": "general knowledge or trivia",
    "missing_context": "does not say which thing it means",
}


class GeneralityTarget(dspy.Module):
    """The pipeline's generality filter alone: question → verdict, scored by agreement with the human
    labels of the labelled candidates (keep or drop), not by the judge panel: a filter is as good as its
    agreement with people."""

    name = "generality"

    def __init__(self, program: SyntheticEvalProgram):
        super().__init__()
        self.judge = program.generality.classify.deepcopy()

    def forward(self, question):
        try:
            result = call_lm("generality", self.judge, question=question)
        except StageFailure:
            return dspy.Prediction(verdict="", reason="")
        return dspy.Prediction(verdict=result.verdict, reason=result.reason)

    @staticmethod
    def examples(labelled: LabelledExample) -> list[dspy.Example]:
        """One example per labelled candidate that is good, too general or missing context."""
        return [
            dspy.Example(
                question=c.question,
                reason=_GENERALITY_REASONS[c.reason],
                verdict=GENERALITY_LABELS[c.reason],
                labelled=labelled,
            ).with_inputs("question")
            for c in labelled.candidates
            if c.reason in GENERALITY_LABELS
        ]

    @staticmethod
    def metric(panel, weights) -> KeepAgreement:
        return KeepAgreement()

    def install(self, program: SyntheticEvalProgram) -> None:
        program.generality.classify.load_state(self.judge.dump_state())


class KeepAgreement:
    """1 when the filter keeps a question people labelled good, or drops one they labelled bad; else 0."""

    with_feedback = False

    def score(self, example: dspy.Example, prediction: dspy.Prediction) -> ExampleScore:
        agree = float((prediction.verdict == "insightful") == (example.verdict == "insightful"))
        feedback = (
            "" if agree else f"people labelled it {example.verdict}, the filter said {prediction.verdict}"
        )
        return ExampleScore(agree, {"generality": agree}, [], feedback)

    def __call__(self, example, prediction, trace=None, pred_name=None, pred_trace=None):
        result = self.score(example, prediction)
        return (
            dspy.Prediction(score=result.composite, feedback=result.feedback)
            if self.with_feedback
            else result.composite
        )


TARGETS = {t.name: t for t in (ProgramTarget, WriterTarget, StylistTarget, GeneralityTarget)}
