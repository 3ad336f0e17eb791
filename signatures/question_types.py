"""Stage 2: which kinds of question does the passage support for one interest?"""

from __future__ import annotations

import dspy

from personaqa.signatures.types import QuestionType


class SelectQuestionTypes(dspy.Signature):
    """Choose the question types that the passage can fully answer about the given interest.
    Pick only types the passage really supports: a comparison needs two things to compare,
    an aggregation needs several items, a sentiment question needs an expressed attitude.
    Return one to three types, most natural first."""

    passage: str = dspy.InputField()
    interest: str = dspy.InputField(desc="the topic the question will be about")
    type_definitions: str = dspy.InputField(desc="the allowed question types and what each asks for")
    question_types: list[QuestionType] = dspy.OutputField(desc="1 to 3 allowed type names", max_length=3)
