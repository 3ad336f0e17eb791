"""Typed DSPy signatures: one prompt per step of the recipe. Reading this package is reading the prompts."""

from personaqa.signatures.complex import (
    COMPLEX_TYPE_DESCRIPTIONS,
    GenerateMultiPassageQuestion,
    JudgeMultiPassageRelevance,
)
from personaqa.signatures.context import NameTheSubject
from personaqa.signatures.filters import (
    ClassifyGenerality,
    ClassifyGeneralityBatch,
    JudgeRelevance,
    JudgeRelevanceBatch,
)
from personaqa.signatures.interests import ExtractInterests, PointOfInterest
from personaqa.signatures.judges import RateAnswerability, RateGenerality, RatePersonaFidelity
from personaqa.signatures.question_types import SelectQuestionTypes
from personaqa.signatures.questions import GenerateQuestion
from personaqa.signatures.style import DescribeWritingStyle, RewriteInStyle
from personaqa.signatures.types import QUESTION_TYPE_DESCRIPTIONS, QuestionType

__all__ = [
    "COMPLEX_TYPE_DESCRIPTIONS",
    "QUESTION_TYPE_DESCRIPTIONS",
    "ClassifyGenerality",
    "ClassifyGeneralityBatch",
    "DescribeWritingStyle",
    "ExtractInterests",
    "GenerateMultiPassageQuestion",
    "GenerateQuestion",
    "JudgeMultiPassageRelevance",
    "JudgeRelevance",
    "JudgeRelevanceBatch",
    "NameTheSubject",
    "PointOfInterest",
    "QuestionType",
    "RateAnswerability",
    "RateGenerality",
    "RatePersonaFidelity",
    "RewriteInStyle",
    "SelectQuestionTypes",
]
