"""Lexical distance: how much of a question's wording comes from its passage, and a control for it.

Generated questions tend to copy their passage's words, which favours lexical retrievers over what
human queries show (issue 15; DataMorgana, Filice et al. 2025, controls this with question
categories). A share of questions can be written "in the person's own words" (`own_wording_share`,
globally or per persona); every record carries its `wording` and the measured `lexical_overlap` of its
final text with its chunk, so the control is checked, not assumed."""

from __future__ import annotations

import hashlib
import random
from typing import Literal

from personaqa.programs.corpus.segmentation import stems

Wording = Literal["passage", "own"]

# Appended to the question type the writer gets (an input, so compiled prompts stay valid).
OWN_WORDS = (
    "worded the way this person would say it, with everyday synonyms instead of the passage's "
    "own phrases (keep names and numbers)"
)


def lexical_overlap(question: str, passage: str) -> float:
    """Share (0–1) of the question's content words that occur in the passage (compared on their first
    5 characters, so "replacing" matches "replace"); 0 for a question without content words."""
    asked = stems(question)
    return len(asked & stems(passage)) / len(asked) if asked else 0.0


def sample_wording(own_share: float, seed: str) -> Wording:
    """ "own" with probability `own_share`, else "passage"; the same for the same seed (resume)."""
    if own_share <= 0:
        return "passage"
    draw = random.Random(hashlib.sha256(("wording\x1f" + seed).encode()).digest()).random()
    return "own" if draw < own_share else "passage"
