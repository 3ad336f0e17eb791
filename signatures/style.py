"""Stage 5: write questions the way each persona writes."""

from __future__ import annotations

import dspy

from personaqa.signatures.types import QuestionText, StyleText


class DescribeWritingStyle(dspy.Signature):
    """Describe how this person writes questions: length, vocabulary, formality, punctuation,
    typical openings. Describe the style only; do not repeat the person's name or job."""

    persona: str = dspy.InputField()
    writing_style: StyleText = dspy.OutputField(desc="two or three sentences")


class RewriteInStyle(dspy.Signature):
    """Rewrite the question in the given writing style. Keep the same information need and
    keep every name, number, product, law and other identifier exactly. Do not mention who
    is asking, their job or their role."""

    question: str = dspy.InputField()
    writing_style: str = dspy.InputField()
    styled_question: QuestionText = dspy.OutputField()
