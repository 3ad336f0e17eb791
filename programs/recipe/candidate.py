"""A candidate question on its way through the chain, and the program's settings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from personaqa.programs.core.records import Chunk, Persona, Verdict
from personaqa.programs.recipe.categories import Category
from personaqa.programs.recipe.checks.evidence import Evidence
from personaqa.programs.recipe.wording import Wording


def question_id(chunk: Chunk, persona: Persona, interest: str, question_type: str) -> str:
    """Stable id of a candidate: the same inputs always give the same id (resume, dedup, joins)."""
    key = f"{chunk.chunk_id}\x1f{persona.name}\x1f{interest.lower()}\x1f{question_type}"
    return "q-" + hashlib.sha1(key.encode()).hexdigest()[:12]


@dataclass
class Candidate:
    question_id: str
    interest: str
    question_type: str
    question: str  # as written by the question writer
    # the answer the writer chose first, from `sentence` ("" for multi-chunk questions)
    intended_answer: str = ""
    sentence: int = 0  # 1-based number of the chunk sentence the answer was chosen from (0: unknown)
    sentence_text: str = ""  # that sentence, as the interest holds it ("" when unknown)
    styled_question: str = ""  # the final text: what the judges see and the set keeps
    relevance: Verdict | None = None
    generality: Verdict | None = None
    answer: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    chunk_ids: list[str] = field(default_factory=list)  # set for multi-chunk questions only
    wording: Wording = "passage"
    categories: dict[str, str] = field(default_factory=dict)  # axis -> drawn category (categories.py)


@dataclass(frozen=True)
class ProgramSettings:
    interest_dedup_threshold: float = 0.85
    question_dedup_threshold: float = 0.92
    persona_stake_threshold: float = 0.0  # a persona passes on a chunk below it (stake.py; 0: never)
    max_interests: int = 3
    max_types_per_interest: int = 1
    # question types drawn from type_weights, or LM-chosen
    type_selection: Literal["sampled", "lm"] = "sampled"
    # (type, weight); unlisted types: generation.DEFAULT_TYPE_WEIGHTS
    type_weights: tuple[tuple[str, float], ...] = ()
    own_wording_share: float = 0.0  # share of questions asked in the person's own words (wording.py)
    categorisations: dict[str, dict[str, Category]] = field(default_factory=dict)  # categories.py
    batched_filters: bool = False  # one judge/rewrite call per unit instead of one per question
    fan_out: int = 1  # interests, and questions, of one unit worked on at once (endpoint LMs)
