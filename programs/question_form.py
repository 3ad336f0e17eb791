"""A deterministic check that an LM's text is a question at all, before any judge sees it.

Small models echo instructions, leave template placeholders ("{styled_question}") or answer
instead of asking; an LLM judge of the same size lets such text through, so it is caught here."""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\{[a-z_]+\}|\[\[ ## |<[a-z_]+>")
_ECHO = ("asks for a", "the passage", "this passage", "the text above", "question type", "writing style",
         "json object")  # the adapter asks for "a JSON object"; seen in styled rewrites on CISI


def form_problem(text: str, min_words: int = 4, rewrite: bool = False) -> str | None:
    """Why `text` is not a usable question, or None when it is. Rewrites may drop the question mark:
    people type search-box queries and casual questions without one."""
    stripped = text.strip()
    if _PLACEHOLDER.search(stripped):
        return "contains a template placeholder"
    if "?" not in stripped and not rewrite:
        return "not a question (no question mark)"
    if len(stripped.split()) < min_words:
        return f"too short (fewer than {min_words} words)"
    lowered = stripped.lower()
    echo = next((phrase for phrase in _ECHO if phrase in lowered), None)
    if echo:
        return f"echoes the instructions ('{echo}')"
    return None
