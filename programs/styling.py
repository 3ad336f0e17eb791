"""Style stage: derive each persona's writing style once, then rewrite questions in it.

The style is a few enumerated choices (length, tone, letter case, wording), rendered into a short
instruction. A free-text style description, fed back to a small model, came back as the "question"
(72 of 105 kept questions on held-out abstracts carried it); enumerated values leave nothing to copy."""

from __future__ import annotations

import threading

import dspy

from personaqa.programs.lm_calls import call_lm
from personaqa.programs.records import Persona
from personaqa.programs.text_views import language_label, persona_text
from personaqa.signatures import DescribeWritingStyle, RewriteInStyle

STYLE_FIELDS = ("length", "tone", "letter_case", "wording")


# What each length choice means in words: "short" alone left a 1.5B model's questions as long as before.
LENGTHS = {"a few keywords": "a few keywords (3 to 6 words)", "short": "short (at most 10 words)",
           "one full sentence": "one full sentence", "detailed": "detailed (one long sentence with context)"}


def render_style(style: dict[str, str]) -> str:
    """'short (at most 10 words), casual, all lowercase, everyday words' from the enumerated choices."""
    return ", ".join(LENGTHS.get(style[name], style[name]) if name == "length" else style[name]
                     for name in STYLE_FIELDS if style.get(name))


class PersonaStylist(dspy.Module):
    """Rewrites questions in a persona's writing style; styles are derived once per persona."""

    def __init__(self) -> None:
        super().__init__()
        self.describe = dspy.Predict(DescribeWritingStyle)
        self.rewrite = dspy.Predict(RewriteInStyle)
        self._styles: dict[str, str] = {}
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict) -> PersonaStylist:
        copy = PersonaStylist()
        copy.describe = self.describe.deepcopy()
        copy.rewrite = self.rewrite.deepcopy()
        return copy

    def writing_style(self, persona: Persona) -> str:
        """The persona's style as a short instruction, derived by the LM once per persona."""
        key = persona_text(persona)
        with self._lock:
            if key not in self._styles:
                result = call_lm("style", self.describe, persona=key)
                self._styles[key] = render_style({name: getattr(result, name) for name in STYLE_FIELDS})
            return self._styles[key]

    def forward(self, question: str, persona: Persona, language: str = "") -> str:
        """The styled question, in `language` (default: the question's own, as detected)."""
        language = language or language_label(question, fallback="the language of the question")
        style = self.writing_style(persona)
        result = call_lm("style", self.rewrite, question=question, style=style, language=language)
        styled = " ".join(result.styled_question.split())
        return styled.lower() if "all lowercase" in style else styled  # a choice code can apply exactly
