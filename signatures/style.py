"""Stage 5: write questions the way each persona writes."""

from __future__ import annotations

from typing import Literal

import dspy

from personaqa.signatures.types import QuestionText


class DescribeWritingStyle(dspy.Signature):
    """How does this person type questions into a search box or a chat assistant? Pick the length,
    tone and wording that fit them."""

    persona: str = dspy.InputField()
    # The usual choice first. Letter case is not asked: a 1.5B model chose "all lowercase" for a formal
    # lawyer as for a parent on a phone (programs/styling.py reads it from the description instead).
    length: Literal["one full sentence", "short", "a few keywords", "detailed"] = dspy.OutputField()
    tone: Literal["neutral", "casual", "formal"] = dspy.OutputField()
    wording: Literal["everyday words", "technical terms", "legal terms", "numbers first"] = dspy.OutputField()


class RewriteInStyle(dspy.Signature):
    """Rewrite the question so it reads as typed by someone with the given style. Keep what it asks
    and keep every name, number and identifier exactly. Output only the rewritten question."""

    question: str = dspy.InputField()
    style: str = dspy.InputField(desc="length, tone, letter case and wording to use")
    language: str = dspy.InputField(desc="the language to write the question in")
    styled_question: QuestionText = dspy.OutputField()
