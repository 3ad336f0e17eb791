"""Question categorisations with target proportions: the axes a set should vary along, besides persona.

DataMorgana (Filice et al. 2025, "Generating Diverse Q&A Benchmarks for RAG Evaluation with DataMorgana")
describes a test set by categorisations, each a few categories with a probability: e.g. factoid vs
open-ended, with a premise vs without, a keyword query vs a full sentence. Each candidate question draws
one category per axis (seeded by its id, so a rerun or resume draws the same), the question writer gets
the drawn categories' instructions, and every record carries them (`QuestionRecord.categories`), so the
run summary, the BEIR queries and `evaluate` break results down by each axis.

Configured as

    categorisations:
      premise:
        with_premise: {weight: 1, instruction: "opens with the asker's own situation in a short clause"}
        no_premise: {weight: 1}
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping

from personaqa.programs.config import Category

Categorisations = Mapping[str, Mapping[str, Category]]  # axis -> category name -> category


def draw_categories(categorisations: Categorisations, seed: str) -> dict[str, str]:
    """axis → the category drawn for the candidate with this `seed` (its question id), with probability
    proportional to the weights; the same seed always draws the same."""
    drawn: dict[str, str] = {}
    for axis, categories in categorisations.items():
        names = [name for name, c in categories.items() if c.weight > 0]
        if not names:
            continue
        rng = random.Random(hashlib.sha256(f"category\x1f{axis}\x1f{seed}".encode()).digest())
        (drawn[axis],) = rng.choices(names, weights=[categories[n].weight for n in names])
    return drawn


def instructions(categorisations: Categorisations, drawn: Mapping[str, str]) -> list[str]:
    """The writer's instructions for the drawn categories, in axis order; empty ones left out."""
    return [text for axis, name in drawn.items() if (text := categorisations[axis][name].instruction.strip())]
