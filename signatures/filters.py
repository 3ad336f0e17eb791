"""Stage 4: judges and rewrites that decide which questions are worth keeping."""

from __future__ import annotations

from typing import Literal

import dspy
from personaqa.signatures.types import AnswerText, SentenceNumber, ShortReason
from pydantic import BaseModel, Field

MAX_BATCH = 12  # candidates judged in one batched call


class JudgeRelevance(dspy.Signature):
    """Can the question be answered from the passage alone? First give the numbers of the sentences
    that answer it, then the answer in a few words. "fully": the passage states the answer or it
    follows directly from what the passage says (a cause, a step, a figure). "partially": the
    passage gives only part of what is asked. "not": the passage does not answer it, or the question
    gets the passage wrong (who did what to whom, a cost that is a gain, a figure or date it does not
    give)."""

    passage: str = dspy.InputField(desc="numbered sentences")
    question: str = dspy.InputField()
    sentences: list[SentenceNumber] = dspy.OutputField(
        desc="numbers of the 1 to 3 sentences that answer it", max_length=3
    )
    answer: AnswerText = dspy.OutputField(desc="the answer in a few words, or what is missing")
    verdict: Literal["fully", "partially", "not"] = dspy.OutputField()


class ClassifyGenerality(dspy.Signature):
    """Is the question worth keeping in a search test set? "insightful": asks for specific
    information about a named subject, something a person would really look up. "pedantic_or_general": trivia, such as asking for
    the name of the thing the question already describes, or general knowledge anyone could
    answer without the documents. "missing_context": mentions something a reader cannot identify
    without the source document (it, the company, this section)."""  # noqa: E501 - the LM's instructions

    question: str = dspy.InputField()
    reason: ShortReason = dspy.OutputField(desc="a few words")
    verdict: Literal["insightful", "pedantic_or_general", "missing_context"] = dspy.OutputField()


class RelevanceItem(BaseModel):
    number: int = Field(ge=1, le=MAX_BATCH, description="the question's number in the list")
    sentences: list[SentenceNumber] = Field(
        max_length=3, description="numbers of the sentences that answer it"
    )
    answer: AnswerText
    verdict: Literal["fully", "partially", "not"]


class GeneralityItem(BaseModel):
    number: int = Field(ge=1, le=MAX_BATCH)
    reason: ShortReason
    verdict: Literal["insightful", "pedantic_or_general", "missing_context"]


class JudgeRelevanceBatch(dspy.Signature):
    """For each numbered question: can it be answered from the passage alone? Give the numbers of the
    passage's sentences that answer it, the answer in a few words, then the verdict.
    "fully": the passage states the answer or it follows directly from what the passage says.
    "partially": the passage gives only part of what is asked. "not": the passage does not answer
    it, or the question gets the passage wrong (who did what to whom, a cost that is a gain).
    One entry per question, with its number."""

    passage: str = dspy.InputField()
    questions: str = dspy.InputField(desc="numbered list, one question per line")
    verdicts: list[RelevanceItem] = dspy.OutputField(max_length=MAX_BATCH)


class ClassifyGeneralityBatch(dspy.Signature):
    """Is each numbered question worth keeping in a search test set? "insightful": asks for
    specific information about a named subject, something a person would really look up. "pedantic_or_general": trivia, such as asking for
    the name of the thing the question already describes, or general knowledge anyone could
    answer without the documents. "missing_context": mentions something a reader cannot identify
    without the source document (it, the company, this section)."""  # noqa: E501 - the LM's instructions

    questions: str = dspy.InputField(desc="numbered list, one question per line")
    verdicts: list[GeneralityItem] = dspy.OutputField(max_length=MAX_BATCH)
