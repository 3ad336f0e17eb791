"""Stage 2: which kinds of question does the passage support for one interest?"""

from __future__ import annotations

import dspy
from personaqa.signatures.types import QuestionType


class SelectQuestionTypes(dspy.Signature):
    """Choose the question types whose answer the passage holds for the given topic. A comparison
    needs two things to compare, an aggregation several items, a sentiment question an expressed
    attitude. Return one to three type names, the most natural first."""

    passage: str = dspy.InputField()
    interest: str = dspy.InputField(desc="the topic")
    type_definitions: str = dspy.InputField(desc="allowed type names, each with the kind of answer it has")
    question_types: list[QuestionType] = dspy.OutputField(desc="1 to 3 allowed type names", max_length=3)
