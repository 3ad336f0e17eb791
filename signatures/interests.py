"""Stage 1: what would this persona care about in this passage?"""

from __future__ import annotations

from typing import Literal

import dspy
from pydantic import BaseModel

from personaqa.signatures.types import SentenceNumber, ShortText


class PointOfInterest(BaseModel):
    """One point of interest: the sentence that holds it, then what it is about, a phrase of that
    sentence. Each call narrows `sentence` to the numbers the persona may still pick and `topic` to
    the phrases of the chosen sentence (generation.point_schema)."""

    sentence: SentenceNumber
    topic: ShortText


class ExtractInterests(dspy.Signature):
    """Would this persona, given who they are and what they care about, look anything up in this
    passage? Say "no" when the passage is about matters the persona has no stake in; then list nothing.
    If "yes", list the sentences that say something this persona would want to ask about, most
    interesting to this persona first, each with its topic: a phrase of 1 to 4 words of that sentence
    naming what it is about. Pick sentences with facts, figures, rules or events."""

    passage: str = dspy.InputField(desc="the text the questions must be answerable from, as numbered sentences")
    persona: str = dspy.InputField(desc="who is reading: name and description")
    concerns_persona: Literal["yes", "no"] = dspy.OutputField(desc="does the passage concern this persona?")
    interests: list[PointOfInterest] = dspy.OutputField(desc="0 to 5 sentences, each with its topic", max_length=5)
