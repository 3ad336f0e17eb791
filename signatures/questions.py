"""Stage 3: write one question for a (passage, interest, type)."""

from __future__ import annotations

import dspy

from personaqa.signatures.types import AskedQuestion


class GenerateQuestion(dspy.Signature):
    """Write one question that this persona would ask about the interest, of the given type,
    whose complete answer is in the passage. The question must make sense to someone who has
    not seen the passage: name the product, company, law or event it is about instead of
    saying "the passage", "this document" or "the text". Ask one thing only."""

    persona: str = dspy.InputField()
    passage: str = dspy.InputField()
    interest: str = dspy.InputField()
    question_type: str = dspy.InputField(desc="type name and what it asks for")
    question: AskedQuestion = dspy.OutputField(desc="a single question ending with '?'")
