"""Stage 3b: give a question the name it leaves out, so a searcher who never saw the document knows what
it asks about (the recipe's "context-missing" questions, mended instead of dropped)."""

from __future__ import annotations

import dspy
from personaqa.signatures.types import AskedQuestion


class NameTheSubject(dspy.Signature):
    """Add to the question the name it leaves out, so that someone who never saw the document knows what
    it asks about: replace a vague word ("the club", "the company", "the fare") with the name from the
    title, or add "at/of/for <name>" where it fits. Keep everything else as it is."""

    question: str = dspy.InputField()
    title: str = dspy.InputField(desc="the title of the document the question is about")
    named_question: AskedQuestion = dspy.OutputField()
