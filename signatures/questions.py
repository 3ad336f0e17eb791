"""Stage 3: write one question for a (passage, interest, type)."""

from __future__ import annotations

import dspy

from personaqa.signatures.types import AskedQuestion


class GenerateQuestion(dspy.Signature):
    """Write one question the persona would ask about the topic, of the given type, whose full
    answer is in the passage, mostly in the given sentence. Someone who never saw the passage must
    understand it, so write out the product, organisation, rule or event it concerns as the passage
    calls it. Ask about one thing; do not include the answer."""

    passage: str = dspy.InputField()
    persona: str = dspy.InputField()
    interest: str = dspy.InputField(desc="the topic")
    sentence: str = dspy.InputField(desc="the sentence of the passage that holds the answer")
    question_type: str = dspy.InputField(desc="type name and the kind of answer it has")
    language: str = dspy.InputField(desc="the language to write the question in")
    question: AskedQuestion = dspy.OutputField(desc="one question ending with '?'")
