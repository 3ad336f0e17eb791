"""Stage 1: what would this persona care about in this passage?"""

from __future__ import annotations

import dspy

from personaqa.signatures.types import ShortText


class ExtractInterests(dspy.Signature):
    """List topics that the passage itself covers and that this persona would ask about. Each
    topic is 1 to 5 words naming something the passage mentions, specific enough to search for,
    and different from the other topics. Never list a topic the passage does not mention."""

    passage: str = dspy.InputField(desc="the text the questions must be answerable from")
    persona: str = dspy.InputField(desc="who is reading: name and description")
    language: str = dspy.InputField(desc="the language to write the topics in")
    interests: list[ShortText] = dspy.OutputField(desc="1 to 5 topics from the passage, each 1-5 words", max_length=5)
