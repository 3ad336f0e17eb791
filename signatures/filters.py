"""Stage 4: judges and rewrites that decide which questions are worth keeping."""

from __future__ import annotations

from typing import Literal

import dspy
from pydantic import BaseModel, Field

from personaqa.signatures.types import QuestionText, ReasonText

MAX_BATCH = 12  # candidates judged in one batched call


class JudgeRelevance(dspy.Signature):
    """Decide whether the passage alone fully answers the question. "fully" means every part
    of the answer is stated in or directly follows from the passage; "partially" means some of
    it is missing; "not" means the passage does not answer it. Give a one-sentence reason."""

    passage: str = dspy.InputField()
    question: str = dspy.InputField()
    reason: ReasonText = dspy.OutputField(desc="one sentence: what in the passage answers it, or what is missing")
    verdict: Literal["fully", "partially", "not"] = dspy.OutputField()


class RewriteConversational(dspy.Signature):
    """Rewrite the question the way a person would type it into a search box or chat assistant:
    natural and direct, same meaning, same names, numbers and identifiers. Remove phrases such
    as "according to the passage", "in the text" or "as mentioned"."""

    question: str = dspy.InputField()
    conversational_question: QuestionText = dspy.OutputField()


class ClassifyGenerality(dspy.Signature):
    """Classify the question. "insightful": specific to the subject and worth asking, and
    understandable on its own. "pedantic_or_general": trivia about wording, or general knowledge
    anyone could answer without the document. "missing_context": refers to something
    ("it", "the company", "this section") that a reader without the passage cannot identify."""

    question: str = dspy.InputField()
    reason: ReasonText = dspy.OutputField(desc="one sentence")
    verdict: Literal["insightful", "pedantic_or_general", "missing_context"] = dspy.OutputField()


class RelevanceItem(BaseModel):
    number: int = Field(ge=1, le=MAX_BATCH, description="the question's number in the list")
    reason: ReasonText
    verdict: Literal["fully", "partially", "not"]


class GeneralityItem(BaseModel):
    number: int = Field(ge=1, le=MAX_BATCH)
    reason: ReasonText
    verdict: Literal["insightful", "pedantic_or_general", "missing_context"]


class RewriteItem(BaseModel):
    number: int = Field(ge=1, le=MAX_BATCH)
    conversational_question: QuestionText


class JudgeRelevanceBatch(dspy.Signature):
    """For each numbered question, decide whether the passage alone fully answers it. "fully"
    means every part of the answer is stated in or directly follows from the passage;
    "partially" means some of it is missing; "not" means the passage does not answer it.
    Give one verdict per question, with its number and a one-sentence reason."""

    passage: str = dspy.InputField()
    questions: str = dspy.InputField(desc="numbered list, one question per line")
    verdicts: list[RelevanceItem] = dspy.OutputField(max_length=MAX_BATCH)


class RewriteConversationalBatch(dspy.Signature):
    """Rewrite each numbered question the way a person would type it into a search box or chat
    assistant: natural and direct, same meaning, same names, numbers and identifiers. Remove
    phrases such as "according to the passage", "in the text" or "as mentioned"."""

    questions: str = dspy.InputField(desc="numbered list, one question per line")
    rewrites: list[RewriteItem] = dspy.OutputField(max_length=MAX_BATCH)


class ClassifyGeneralityBatch(dspy.Signature):
    """Classify each numbered question. "insightful": specific to the subject and worth asking,
    and understandable on its own. "pedantic_or_general": trivia about wording, or general
    knowledge anyone could answer without the document. "missing_context": refers to something
    ("it", "the company", "this section") that a reader without the passage cannot identify."""

    questions: str = dspy.InputField(desc="numbered list, one question per line")
    verdicts: list[GeneralityItem] = dspy.OutputField(max_length=MAX_BATCH)
