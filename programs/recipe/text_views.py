"""How chunks and personas are shown to the LM: one rendering, used by every stage."""

from __future__ import annotations

from functools import lru_cache

from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.corpus.language import detect_language, language_name
from personaqa.programs.recipe.checks.evidence import numbered


def passage_text(chunk: Chunk) -> str:
    return f"{chunk.title}\n\n{chunk.text}" if chunk.title else chunk.text


def numbered_passage(chunk: Chunk) -> str:
    """The chunk as the relevance judge sees it: its title, then one numbered sentence a line
    (evidence.numbered), so the judge cites sentence numbers instead of copying text."""
    body = numbered(chunk.text)
    return f"{chunk.title}\n\n{body}" if chunk.title else body


def persona_text(persona: Persona) -> str:
    return f"{persona.name}: {persona.description}"


def example_lines(persona: Persona) -> str:
    """The persona's example questions, one a line, or "(none)"."""
    return "\n".join(f"- {example}" for example in persona.examples) or "(none)"


@lru_cache(maxsize=1024)
def language_label(text: str, fallback: str = "the language of the passage") -> str:
    """The name of the language `text` is written in ("German"), for prompts that must answer in it;
    `fallback` when the detector is not confident (see language.detect_language)."""
    code = detect_language(text)
    return language_name(code) if code else fallback
