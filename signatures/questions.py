"""Stage 3: write one question for a (passage, interest, type), answer first."""

from __future__ import annotations

import dspy
from personaqa.signatures.types import AskedQuestion, IntendedAnswer


class GenerateQuestion(dspy.Signature):
    """First choose the answer: the words of the given sentence that tell this persona something they
    would want to find out about the topic (a figure, date, name, cause, step or rule), copied as the
    sentence says them, as few as answer it. Then write the question whose answer that is, the way this
    persona writes: the length, tone, letter case and words of their example questions, which are about
    other things (never copy one). Someone who never saw the passage must understand the question, so
    name the product, organisation, study or event it concerns as the passage calls it; never "this
    study" or "the passage". Ask about one thing, and do not put the answer in the question."""

    passage: str = dspy.InputField()
    persona: str = dspy.InputField()
    examples: str = dspy.InputField(desc="questions this persona asked before, about other things")
    interest: str = dspy.InputField(desc="the topic")
    sentence: str = dspy.InputField(desc="the sentence of the passage that holds the answer")
    question_type: str = dspy.InputField(desc="type name and the kind of answer it has")
    language: str = dspy.InputField(desc="the language to write the question in")
    answer: IntendedAnswer = dspy.OutputField(desc="words of the sentence that answer the question")
    question: AskedQuestion = dspy.OutputField(desc="one question ending with '?'")
