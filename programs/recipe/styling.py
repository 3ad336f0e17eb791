"""Style stage: derive each persona's writing style once, then rewrite questions in the persona's voice.

The style is a few enumerated choices (length, tone, wording); letter case is read from the persona's
description. A free-text style description, fed back to a small model, came back as the "question" (72 of
105 kept questions on held-out abstracts carried it); enumerated values leave nothing to copy.

The voice comes from the persona's example questions (`Persona.examples`) when the personas file gives
them: the question writer sees them and writes in their form, and no rewrite is asked. Otherwise the LM
rewrites each question from the persona's description and derived style. No text is composed by code: an
earlier version opened "long and detailed" questions with a code-made "Regarding X, ..." and wrote short
styles by picking the question's words, and readers could not tell the personas apart by anything a
person would write ("Regarding Error code E2, what does Error code E2 mean?", "difference shared office
day planning meetings?"). Shown examples, the 1.5B model sometimes returns one of them for an unrelated
passage; `PersonaStylist.problem` catches that, and a rewrite that fails a check falls back to the
question as written (pipeline._style)."""

from __future__ import annotations

import re
import threading

import dspy
from personaqa.programs.core.records import Persona
from personaqa.programs.corpus.embedding import Embedder
from personaqa.programs.lm.calls import call_lm
from personaqa.programs.recipe.checks.evidence import restates
from personaqa.programs.recipe.checks.question_form import dropped_names
from personaqa.programs.recipe.examples import ExampleVectors
from personaqa.programs.recipe.text_views import example_lines, language_label, persona_text
from personaqa.signatures import DescribeWritingStyle, RewriteInStyle

STYLE_FIELDS = ("length", "tone", "wording")
_LOWERCASE = re.compile(r"\blower[- ]?case\b", re.IGNORECASE)

# What each choice asks the rewrite to do, in words a small model acts on: "short" alone left a 1.5B
# model's questions as they were, apart from their letter case.
RULES = {
    "keywords only": "a search-box query of the words a person would type, keeping the words that say what "
    "is asked (how often, when, how much, why) and every name and number",
    "short and quick": "at most 12 words, dropping every word that is not needed",
    "full sentences": "one complete question in other words",
    "long and detailed": "one complete, precise question that says exactly what is wanted",
    "casual": "casual, as typed on a phone",
    "neutral": "plain and neutral",
    "formal": "formal and precise",
    "everyday words": "everyday words instead of technical terms",
    "technical terms": "the field's technical terms",
    "legal terms": "legal terms",
    "numbers first": "asking for figures, amounts or dates",
}
KEYWORDS = "keywords only"
MIN_KEYWORDS = 3  # a keyword query shorter than this says too little to search with


def render_style(style: dict[str, str]) -> str:
    """'at most 12 words, dropping every word that is not needed; casual, as typed on a phone; everyday
    words instead of technical terms' from the enumerated choices."""
    return "; ".join(RULES.get(style[name], style[name]) for name in STYLE_FIELDS if style.get(name))


class PersonaStylist(dspy.Module):
    """Rewrites questions in a persona's voice; styles are derived once per persona."""

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

    def rewrites(self, persona: Persona) -> bool:
        """Whether this persona's questions are rewritten by the LM: only when it gives no example
        questions. With examples, the writer already wrote in the persona's voice (GenerateQuestion sees
        them), and the 1.5B model returned 9 of 9 such questions unchanged from the rewrite (probe,
        2026-12-03)."""
        return not persona.examples

    def forward(self, question: str, persona: Persona, language: str = "") -> str:
        """The question in the persona's voice, in `language` (default: the question's own, as detected):
        rewritten by the LM from the persona's description and style (`rewrites`), else as written.
        Raises StageFailure if the LM's answer is unusable."""
        if self.rewrites(persona):
            language = language or language_label(question, fallback="the language of the question")
            result = call_lm(
                "style",
                self.rewrite,
                question=question,
                persona=persona_text(persona),
                examples=example_lines(persona),
                style=self.writing_style(persona),
                language=language,
            )
            styled = " ".join(result.styled_question.split())
        else:
            styled = question
        # Letter case is applied by code, from the description ("types ... often lowercase"): a small model
        # asked to choose it picked lowercase for every persona.
        return styled.lower() if _LOWERCASE.search(persona.description) else styled


def style_problem(
    styled: str,
    question: str,
    answer: str,
    persona: Persona,
    embedder: Embedder,
    threshold: float,
    examples: ExampleVectors | None = None,
) -> str | None:
    """Why a rewrite cannot stand for `question`, or None: it drops a name or number of the question
    (`question_form.names`, letter case aside), gives away the intended `answer` the question did not,
    or repeats one of the persona's example questions (cosine of MiniLM vectors >= `threshold`, the
    question dedup threshold)."""
    if dropped := dropped_names(question, styled):
        return f"drops '{dropped[0]}'"
    if answer and restates(answer, styled) and not restates(answer, question):
        return "gives away the answer"
    return example_repeat(styled, persona, embedder, threshold, examples)


def example_repeat(
    text: str, persona: Persona, embedder: Embedder, threshold: float, examples: ExampleVectors | None = None
) -> str | None:
    """Why `text` is one of the persona's example questions over again (MiniLM cosine >= `threshold`), or
    None. Shown example questions, the 1.5B model returned one of them verbatim for an unrelated passage
    (2 of 6 in a probe). `examples`: the run's cache of example vectors (default: encoded afresh)."""
    vectors = (examples or ExampleVectors(embedder)).vectors(persona)
    if vectors is None:
        return None
    scores = vectors @ embedder.encode([text])[0]
    best = int(scores.argmax())
    if float(scores[best]) >= threshold:
        return f"repeats the example question '{persona.examples[best]}'"
    return None
