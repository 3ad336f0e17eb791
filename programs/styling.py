"""Style stage: derive each persona's writing style once, then rewrite questions in it."""

from __future__ import annotations

import threading

import dspy

from personaqa.programs.lm_calls import call_lm
from personaqa.programs.records import Persona
from personaqa.programs.text_views import persona_text
from personaqa.signatures import DescribeWritingStyle, RewriteInStyle


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
        key = persona_text(persona)
        with self._lock:
            if key not in self._styles:
                result = call_lm("style", self.describe, persona=key)
                self._styles[key] = " ".join(result.writing_style.split())
            return self._styles[key]

    def forward(self, question: str, persona: Persona) -> str:
        result = call_lm("style", self.rewrite, question=question, writing_style=self.writing_style(persona))
        return " ".join(result.styled_question.split())
