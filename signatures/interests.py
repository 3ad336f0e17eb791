"""Stage 1: what would this persona care about in this passage?"""

from __future__ import annotations

import dspy
from personaqa.signatures.types import SentenceNumber, ShortText
from pydantic import BaseModel


class PointOfInterest(BaseModel):
    """One point of interest: the sentence that holds it, then what it is about, a phrase of that
    sentence. Each call narrows `sentence` to the numbers the persona may still pick and `topic` to
    the phrases of the chosen sentence (generation.point_schema)."""

    sentence: SentenceNumber
    topic: ShortText


class ExtractInterests(dspy.Signature):
    """Which sentences of the passage say something this persona would want to ask about? List
    them, most interesting to this persona first, each with its topic: a phrase of 1 to 4 words of that
    sentence naming what it is about. Pick sentences with facts, figures, rules or events; list none
    if nothing in the passage matters to this persona."""

    passage: str = dspy.InputField(
        desc="the text the questions must be answerable from, as numbered sentences"
    )
    persona: str = dspy.InputField(desc="who is reading: name and description")
    interests: list[PointOfInterest] = dspy.OutputField(
        desc="0 to 5 sentences, each with its topic", max_length=5
    )
