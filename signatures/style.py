"""Stage 5: write questions the way each persona writes."""

from __future__ import annotations

from typing import Literal

import dspy
from personaqa.signatures.types import QuestionText

StyleTone = Literal["neutral", "casual", "formal"]
StyleLength = Literal["full sentences", "short and quick", "keywords only", "long and detailed"]
StyleWording = Literal["everyday words", "technical terms", "legal terms", "numbers first"]


class DescribeWritingStyle(dspy.Signature):
    """Read how this person writes. Pick the tone first, then how long their questions are and their words."""

    persona: str = dspy.InputField()
    # Letter case is not asked: a 1.5B model chose "all lowercase" for a formal lawyer as for a parent on a
    # phone (programs/recipe/styling.py reads it from the description instead). Asked "how does this person
    # type questions into a search box", with length first, it chose "short" for all three sample personas;
    # tone first and these labels gave the lawyer "long and detailed" and the parent "short and quick".
    tone: StyleTone = dspy.OutputField()
    length: StyleLength = dspy.OutputField()
    wording: StyleWording = dspy.OutputField()


class RewriteInStyle(dspy.Signature):
    """Rewrite the question as this person would type it into a search box: their length, tone, letter
    case and words, as in their example questions. Ask for the same information about the same subject,
    keep every name, number and identifier exactly, and never copy an example question: the examples
    are about other things. Do not answer the question and do not say who is asking."""

    question: str = dspy.InputField()
    persona: str = dspy.InputField(desc="who is asking")
    examples: str = dspy.InputField(desc="questions this person asked before, about other things")
    style: str = dspy.InputField(desc="length, tone and wording to use")
    language: str = dspy.InputField(desc="the language to write the question in")
    styled_question: QuestionText = dspy.OutputField()
