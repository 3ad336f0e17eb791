"""Stage 1: what would this persona care about in this passage?"""

from __future__ import annotations

import dspy
from pydantic import BaseModel

from personaqa.signatures.types import SentenceNumber, ShortText


class PointOfInterest(BaseModel):
    """One point of interest: the sentence that holds it, then what it is about. Each call narrows
    `sentence` to the numbers the persona may still pick (generation.InterestExtractor)."""

    sentence: SentenceNumber
    topic: ShortText


class ExtractInterests(dspy.Signature):
    """Which sentences of the passage say something this persona would want to ask about? List
    them, most interesting to this persona first, each with its topic in 1 to 5 words naming what
    the sentence is about. Pick sentences with facts, figures, rules or events, not headings."""

    passage: str = dspy.InputField(desc="the text the questions must be answerable from, as numbered sentences")
    persona: str = dspy.InputField(desc="who is reading: name and description")
    language: str = dspy.InputField(desc="the language to write the topics in")
    interests: list[PointOfInterest] = dspy.OutputField(desc="1 to 5 sentences, each with its topic", max_length=5)
