"""Stage 1: what would this persona care about in this passage?"""

from __future__ import annotations

import dspy

from personaqa.signatures.types import ShortText


class ExtractInterests(dspy.Signature):
    """List what the persona would want to find out from the passage. Each topic is 1 to 5 words
    taken from what the passage actually covers, specific enough to search for, and different
    from the other topics."""

    passage: str = dspy.InputField(desc="the text the questions must be answerable from")
    persona: str = dspy.InputField(desc="who is reading: name and description")
    language: str = dspy.InputField(desc="the language to write the topics in")
    interests: list[ShortText] = dspy.OutputField(desc="1 to 5 distinct topics, each 1-5 words", max_length=5)
