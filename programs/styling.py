"""Style stage: derive each persona's writing style once, then rewrite questions in it.

The style is a few enumerated choices (length, tone, letter case, wording), rendered into a short
instruction. A free-text style description, fed back to a small model, came back as the "question"
(72 of 105 kept questions on held-out abstracts carried it); enumerated values leave nothing to copy."""

from __future__ import annotations

import re
import threading

import dspy

from personaqa.programs.lm_calls import call_lm
from personaqa.programs.records import Persona
from personaqa.programs.text_views import language_label, persona_text
from personaqa.signatures import DescribeWritingStyle, RewriteInStyle

STYLE_FIELDS = ("length", "tone", "wording")
_LOWERCASE = re.compile(r"\blower[- ]?case\b", re.IGNORECASE)


# What each choice asks the rewrite to do, in words a small model acts on: "short" alone left a 1.5B
# model's questions as they were, apart from their letter case.
RULES = {
    "a few keywords": "a search-box query of 3 to 6 keywords, no question words",
    "short": "at most 10 words, dropping every word that is not needed",
    "one full sentence": "one complete question",
    "detailed": "one long question that also says why the person asks",
    "casual": "casual, as typed on a phone",
    "neutral": "plain and neutral",
    "formal": "formal and precise",
    "everyday words": "everyday words instead of technical terms",
    "technical terms": "the field's technical terms",
    "legal terms": "legal terms",
    "numbers first": "asking for figures, amounts or dates",
}
KEYWORDS = "a few keywords"


def render_style(style: dict[str, str]) -> str:
    """'at most 10 words, dropping every word that is not needed; casual, as typed on a phone; everyday
    words instead of technical terms' from the enumerated choices."""
    return "; ".join(RULES.get(style[name], style[name]) for name in STYLE_FIELDS if style.get(name))


class PersonaStylist(dspy.Module):
    """Rewrites questions in a persona's writing style; styles are derived once per persona."""

    def __init__(self) -> None:
        super().__init__()
        self.describe = dspy.Predict(DescribeWritingStyle)
        self.rewrite = dspy.Predict(RewriteInStyle)
        self._styles: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict) -> PersonaStylist:
        copy = PersonaStylist()
        copy.describe = self.describe.deepcopy()
        copy.rewrite = self.rewrite.deepcopy()
        return copy

    def choices(self, persona: Persona) -> dict[str, str]:
        """The persona's style choices (length, tone, wording), derived by the LM once."""
        key = persona_text(persona)
        with self._lock:
            if key not in self._styles:
                result = call_lm("style", self.describe, persona=key)
                self._styles[key] = {name: getattr(result, name) for name in STYLE_FIELDS}
            return self._styles[key]

    def writing_style(self, persona: Persona) -> str:
        """The persona's style as the instruction the rewrite gets."""
        return render_style(self.choices(persona))

    def keywords(self, persona: Persona) -> bool:
        """Whether this persona types keyword queries (which need no question mark)."""
        return self.choices(persona).get("length") == KEYWORDS

    def forward(self, question: str, persona: Persona, language: str = "") -> str:
        """The styled question, in `language` (default: the question's own, as detected)."""
        language = language or language_label(question, fallback="the language of the question")
        result = call_lm("style", self.rewrite, question=question, style=self.writing_style(persona),
                         language=language)
        styled = " ".join(result.styled_question.split())
        # Letter case is applied by code, from the description ("types ... often lowercase"): a small model
        # asked to choose it picked lowercase for every persona.
        return styled.lower() if _LOWERCASE.search(persona.description) else styled
