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


class PickQueryWords(dspy.Signature):
    """Which words of the question would this person type into a search box? Keep the words that say
    what is asked (how often, when, how much, why) and every name and number; drop the rest."""

    question: str = dspy.InputField()
    # Constrained at call time to the question's own words (PersonaStylist.pick_words): asked to rewrite a
    # question shorter, a 1.5B model answered it or returned it unchanged (11 of 18); picking words it can
    # neither answer nor copy whole, and every name and number it keeps is spelled as in the question.
    query_words: list[str] = dspy.OutputField()


class RewriteInStyle(dspy.Signature):
    """Rewrite the question so it reads as typed by someone with the given style. Keep what it asks
    and keep every name, number and identifier exactly. Output only the rewritten question."""

    question: str = dspy.InputField()
    style: str = dspy.InputField(desc="length, tone, letter case and wording to use")
    language: str = dspy.InputField(desc="the language to write the question in")
    styled_question: QuestionText = dspy.OutputField()
