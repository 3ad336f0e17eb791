"""Metric judges: how good is a generated question? Kept apart from the pipeline's own filters so
compiling the pipeline never changes the yardstick it is measured with."""

from __future__ import annotations

from typing import Literal

import dspy
from personaqa.signatures.types import ReasonText


class RateAnswerability(dspy.Signature):
    """Can the question be answered completely using only the passage? Answer "yes" only if
    every part of the answer is in the passage; "no" if any part must come from elsewhere."""

    passage: str = dspy.InputField()
    question: str = dspy.InputField()
    reason: ReasonText = dspy.OutputField(desc="one sentence")
    answerable: Literal["yes", "no"] = dspy.OutputField()


class RateGenerality(dspy.Signature):
    """Is this a good search question for a document collection? "good": specific, worth
    asking, and clear to someone who has not seen the document (it names what it is about).
    "too_general": general knowledge or pedantic trivia. "missing_context": refers to "the
    company", "this product", "the passage" or similar without saying which."""

    question: str = dspy.InputField()
    reason: ReasonText = dspy.OutputField(desc="one sentence")
    rating: Literal["good", "too_general", "missing_context"] = dspy.OutputField()


class RatePersonaFidelity(dspy.Signature):
    """Compare a rewritten question with the original. "faithful" only if the rewrite reads like
    the described person's way of writing, asks for the same information, keeps every name,
    number and identifier, and does not mention who is asking or their role."""

    persona: str = dspy.InputField(desc="the person whose writing style the rewrite should have")
    original_question: str = dspy.InputField()
    rewritten_question: str = dspy.InputField()
    reason: ReasonText = dspy.OutputField(desc="one sentence; name the problem if not faithful")
    rating: Literal["faithful", "unfaithful"] = dspy.OutputField()
