"""Stage 1: what would this persona care about in this passage?"""

from __future__ import annotations

import dspy

from personaqa.signatures.types import ShortText


class ExtractInterests(dspy.Signature):
    """Read the passage as the persona described and list the specific topics in it that this
    persona would want to ask about. Each topic is 1 to 5 words, names something the passage
    actually discusses, and is distinct from the other topics. Prefer concrete subjects
    (a product, a decision, a date, a risk) over vague ones like "overview"."""

    persona: str = dspy.InputField(desc="who is reading: name and description")
    passage: str = dspy.InputField(desc="the text the questions must be answerable from")
    interests: list[ShortText] = dspy.OutputField(desc="1 to 5 short topics, each 1-5 words", max_length=5)
