"""A deterministic check that a styled question does not give away who is asking or how they write.

Small models append the persona's description or the style instruction to the question ("... ? The
graduate student writes questions in a textbook style") or return it instead of a question; an LLM
judge of the same size lets that through, so the final text of every kept question is checked here."""

from __future__ import annotations

import re

from personaqa.programs.core.records import Persona

_WORD = re.compile(r"\w+")
SHARED_RUN = 4  # this many consecutive words of the persona description in the question is a leak


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _runs(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def leak_problem(text: str, persona: Persona, style: str = "") -> str | None:
    """Why `text` leaks the persona or its style, or None. Checked: the persona's name (underscores as
    spaces), "as a <word of the name>", a run of SHARED_RUN words from its description or from the
    style instruction."""
    words = _words(text)
    joined = " ".join(words)
    name = " ".join(_words(persona.name.replace("_", " ")))
    if name and re.search(rf"\b{re.escape(name)}\b", joined):
        return f"names the persona ('{persona.name}')"
    for word in _words(persona.name.replace("_", " ")):
        if len(word) > 3 and re.search(rf"\b(as|i am|i m) an? {re.escape(word)}\b", joined):
            return f"says who is asking ('a {word}')"
    shared = _runs(words, SHARED_RUN) & _runs(_words(persona.description), SHARED_RUN)
    if shared:
        return f"repeats the persona description ('{' '.join(min(shared))}')"
    shared = _runs(words, SHARED_RUN) & _runs(_words(style), SHARED_RUN)
    if shared:
        return f"repeats the style instruction ('{' '.join(min(shared))}')"
    return None
