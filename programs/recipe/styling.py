"""Style stage: derive each persona's writing style once, then rewrite questions in it.

The style is a few enumerated choices (length, tone, wording); letter case is read from the persona's
description. A free-text style description, fed back to a small model, came back as the "question" (72 of
105 kept questions on held-out abstracts carried it); enumerated values leave nothing to copy.

Short styles ("short and quick", "keywords only") are written by picking words: the LM chooses which of
the question's own words the person would type (its choice constrained to those words), code keeps them in
the question's order, with every name and number of the question. Asked instead to rewrite the 18 questions
of a sample run shorter, the 1.5B default model returned 11 unchanged and answered 3 of them; picking words
changed all 18 and answered none, and a name or number it keeps cannot be misspelt. "long and detailed"
opens the question with its topic, composed by code ("Regarding break fee, what ...?", `lead_in`; a topic
of one lowercase word opens it only as part of a phrase of the question, `opens_well`, `phrase_around`): asked
for a longer question the same model returned it unchanged, and made to write the opener itself it wrote
"As to the question, ..." or changed what was asked. Other styles are rewritten by the LM
(`RewriteInStyle`)."""

from __future__ import annotations

import re
import threading
from typing import Annotated, Literal

import dspy
from pydantic import Field, StringConstraints

from personaqa.programs.core.records import Persona
from personaqa.programs.lm.calls import call_lm
from personaqa.programs.recipe.checks.question_form import names
from personaqa.programs.recipe.phrases import phrase_around, question_words
from personaqa.programs.recipe.text_views import language_label, persona_text
from personaqa.signatures import DescribeWritingStyle, PickQueryWords, RewriteInStyle

STYLE_FIELDS = ("length", "tone", "wording")
_LOWERCASE = re.compile(r"\blower[- ]?case\b", re.IGNORECASE)


# What each choice asks the rewrite to do, in words a small model acts on: "short" alone left a 1.5B
# model's questions as they were, apart from their letter case.
RULES = {
    "keywords only": "a search-box query of 3 to 6 keywords, no question words",
    "short and quick": "at most 10 words, dropping every word that is not needed",
    "full sentences": "one complete question in other words",
    "long and detailed": "one long question that first says what it is about, then asks it",
    "casual": "casual, as typed on a phone",
    "neutral": "plain and neutral",
    "formal": "formal and precise",
    "everyday words": "everyday words instead of technical terms",
    "technical terms": "the field's technical terms",
    "legal terms": "legal terms",
    "numbers first": "asking for figures, amounts or dates",
}
KEYWORDS = "keywords only"
# Lengths written by picking the question's words (see the module docstring): the most words kept. A
# "short and quick" question ends with a question mark, a keyword query does not.
PICKED_WORDS = {KEYWORDS: 6, "short and quick": 10}
MIN_PICKED = 3
DETAILED = "long and detailed"
# A lead-in naming the subject, a comma, then the question: "Regarding X, when did ...?"
LEAD_IN_PATTERN = (r'^(Regarding|Concerning|As for|As to) [^"\\\n?,]{8,160}, '
                   r'[^"\\\n?]{8,220}[?]$')  # no '"' or backslash: see signatures/types.py


QUESTION_WORDS = frozenset("what how when why which who whom whose where is are was were does do did can could "
                           "should would will has have may must".split())


def lead_in(question: str, topic: str) -> str:
    """"Regarding warranty coverage, what is the warranty of the AeroFlow 300?": the question opened with
    its topic, composed by code. The 1.5B model, made to write the opener itself (LEAD_IN_PATTERN), filled
    it with "As to the question, ..." or changed what was asked (3 of 6 lawyer questions in a sample run).
    The topic's first word loses its capital unless it looks like part of a name (the question writes it
    so inside, or another word of the topic has a capital or a digit); a question word opening the
    question is lowercased."""
    first, _, rest = question.strip().partition(" ")
    if first.lower() in QUESTION_WORDS:
        first = first.lower()
    head, _, tail = topic.strip().partition(" ")
    inside = question.split()[1:]
    named = any(word[:1].isupper() or any(ch.isdigit() for ch in word) for word in tail.split())
    if head[:1].isupper() and head[1:].islower() and head not in inside and not named:
        head = head.lower()
    return f"Regarding {' '.join(filter(None, [head, tail]))}, {' '.join(filter(None, [first, rest]))}"


def opens_well(topic: str) -> bool:
    """Whether `topic` can open a question ("Regarding X, ..."): a phrase of two or more words, or a name
    (a capital past its first letter, or a digit: "RMLP", "HarborOne", "E2"). A lone lowercase word was
    often no noun, or said nothing ("Regarding receive", "Regarding fuzzy", "Regarding study": 10 of 21
    lead-ins of a CISI run were one lowercase word; "Regarding remotely" on the sample)."""
    words = topic.split()
    return len(words) >= 2 or any(ch.isupper() or ch.isdigit() for ch in topic[1:])


def render_style(style: dict[str, str]) -> str:
    """'at most 10 words, dropping every word that is not needed; casual, as typed on a phone; everyday
    words instead of technical terms' from the enumerated choices."""
    return "; ".join(RULES.get(style[name], style[name]) for name in STYLE_FIELDS if style.get(name))


class PersonaStylist(dspy.Module):
    """Rewrites questions in a persona's writing style; styles are derived once per persona."""

    def __init__(self) -> None:
        super().__init__()
        self.describe = dspy.Predict(DescribeWritingStyle)
        self.pick = dspy.Predict(PickQueryWords)
        self.rewrite = dspy.Predict(RewriteInStyle)
        self._styles: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict) -> PersonaStylist:
        copy = PersonaStylist()
        copy.describe = self.describe.deepcopy()
        copy.pick = self.pick.deepcopy()
        copy.rewrite = self.rewrite.deepcopy()
        return copy

    def choices(self, persona: Persona) -> dict[str, str]:
        """The persona's style choices (length, tone, wording): those set in `persona.style`, the others
        derived by the LM once (no call when all three are set)."""
        given = {name: value for name, value in persona.style.model_dump().items() if value}
        if len(given) == len(STYLE_FIELDS):
            return given
        key = persona_text(persona)
        with self._lock:
            if key not in self._styles:
                result = call_lm("style", self.describe, persona=key)
                self._styles[key] = {name: getattr(result, name) for name in STYLE_FIELDS}
            return {**self._styles[key], **given}

    def writing_style(self, persona: Persona) -> str:
        """The persona's style as the instruction the rewrite gets."""
        return render_style(self.choices(persona))

    def keywords(self, persona: Persona) -> bool:
        """Whether this persona types keyword queries (which need no question mark)."""
        return self.choices(persona).get("length") == KEYWORDS

    def pick_words(self, question: str, most: int) -> str:
        """The words of `question` the LM picks (at most `most`) and its names and numbers
        (`question_form.names`), in the question's order, joined. Raises StageFailure if the LM's answer
        is unusable."""
        tokens, joiner = question_words(question)
        choices = tuple(dict.fromkeys(tokens))
        if len(choices) <= MIN_PICKED:
            return joiner.join(tokens)
        field = Annotated[list[Literal[choices]], Field(min_length=MIN_PICKED, max_length=most)]  # type: ignore[valid-type]
        signature = self.pick.signature.with_updated_fields("query_words", type_=field)
        picked = set(call_lm("style", self.pick, question=question, signature=signature).query_words)
        picked |= set(names(tokens))
        kept = [token for token in choices if token in picked]  # each word once, in the question's order
        return joiner.join(kept)

    def picks_words(self, persona: Persona) -> bool:
        """Whether this persona's questions are written by picking words (a short style)."""
        return self.choices(persona).get("length") in PICKED_WORDS

    def forward(self, question: str, persona: Persona, language: str = "", topic: str = "") -> str:
        """The styled question, in `language` (default: the question's own, as detected); `topic`, what
        the question is about (its interest), opens a "long and detailed" English question."""
        length = self.choices(persona).get("length", "")
        language = language or language_label(question, fallback="the language of the question")
        if length in PICKED_WORDS:
            styled = self.pick_words(question, PICKED_WORDS[length]) + ("" if length == KEYWORDS else "?")
        elif length == DETAILED and topic and language == "English":
            opener = topic if opens_well(topic) else phrase_around(question, topic)
            styled = lead_in(question, opener) if opener else question
        else:
            inputs = {"question": question, "style": self.writing_style(persona), "language": language}
            if length == DETAILED and language == "English":  # the openers are English
                opened = Annotated[str, StringConstraints(min_length=20, max_length=400, pattern=LEAD_IN_PATTERN)]
                inputs["signature"] = self.rewrite.signature.with_updated_fields("styled_question", type_=opened)
            styled = " ".join(call_lm("style", self.rewrite, **inputs).styled_question.split())
        # Letter case is applied by code, from the description ("types ... often lowercase"): a small model
        # asked to choose it picked lowercase for every persona.
        return styled.lower() if _LOWERCASE.search(persona.description) else styled
