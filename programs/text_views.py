"""How chunks and personas are shown to the LM: one rendering, used by every stage."""

from __future__ import annotations

from personaqa.programs.records import Chunk, Persona


def passage_text(chunk: Chunk) -> str:
    return f"{chunk.title}\n\n{chunk.text}" if chunk.title else chunk.text


def persona_text(persona: Persona) -> str:
    return f"{persona.name}: {persona.description}"
