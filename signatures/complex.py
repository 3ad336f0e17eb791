"""Complex questions: evidence spread over two or three passages."""

from __future__ import annotations

from typing import Literal

import dspy
from personaqa.signatures.types import AskedQuestion, ReasonText

ComplexType = Literal["comparative", "aggregative", "multi_hop"]

COMPLEX_TYPE_DESCRIPTIONS: dict[str, str] = {
    "comparative": "asks how something described in one passage differs from or matches something in another",
    "aggregative": "asks to combine or total facts that are spread over the passages",
    "multi_hop": "asks something whose answer needs a fact from one passage to find or use a fact in another",
}


class GenerateMultiPassageQuestion(dspy.Signature):
    """Write one question this persona would ask whose complete answer needs facts from EVERY
    numbered passage: no single passage may be enough on its own. The question must make sense
    to someone who has not seen the passages: name the products, companies or events it is
    about. Ask one thing only."""

    persona: str = dspy.InputField()
    passages: str = dspy.InputField(desc="numbered passages")
    question_type: str = dspy.InputField(desc="type name and what it asks for")
    language: str = dspy.InputField(desc="the language to write the question in")
    question: AskedQuestion = dspy.OutputField(desc="a single question ending with '?'")


class JudgeMultiPassageRelevance(dspy.Signature):
    """Decide whether the numbered passages together fully answer the question ("fully",
    "partially" or "not"), and whether any ONE passage alone already answers it fully (give its
    number) or none does (0)."""

    passages: str = dspy.InputField(desc="numbered passages")
    question: str = dspy.InputField()
    reason: ReasonText = dspy.OutputField(desc="one sentence: which passages hold which part of the answer")
    verdict: Literal["fully", "partially", "not"] = dspy.OutputField()
    single_passage: int = dspy.OutputField(
        desc="number of a passage that alone answers fully, or 0", ge=0, le=3
    )
