"""Generate stage: a persona's interests in a chunk, the question types each supports, the questions."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal

import dspy
from pydantic import WithJsonSchema

from personaqa.programs.embedding import Embedder, semantic_dedup
from personaqa.programs.lm_calls import call_lm
from personaqa.programs.records import Chunk, Persona
from personaqa.programs.segmentation import UNSPACED
from personaqa.programs.wording import OWN_WORDS
from personaqa.programs.text_views import language_label, passage_text, persona_text
from personaqa.signatures import ExtractInterests, GenerateQuestion, SelectQuestionTypes


def clean_interests(raw: Sequence[str]) -> list[str]:
    """Trimmed, non-empty interests without exact (case-insensitive) repeats, in order."""
    seen: set[str] = set()
    out: list[str] = []
    for item in raw:
        text = " ".join(str(item).split()).strip(" .,;:-")
        if text and text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
    return out


def grounded(interest: str, passage: str) -> bool:
    """Whether the interest names something the passage mentions: one of its words of 4+ letters (its
    first 5 letters, so "regulations" matches "regulated") occurs in the passage, or, in scripts without
    spaces, two of its characters in a row do. Small models list the persona's own concerns ("competition
    law" for a lawyer reading a purifier manual) and then write questions the passage cannot answer."""
    text = passage.lower()
    words = re.findall(r"\w+", interest.lower())
    if any(len(w) >= 4 and w[:5] in text for w in words):
        return True
    unspaced = [w for w in words if UNSPACED.search(w)]
    return any(w[i:i + 2] in text for w in unspaced for i in range(len(w) - 1))


class InterestExtractor(dspy.Module):
    """Points of interest of one persona in one chunk, semantically deduplicated."""

    def __init__(self, embedder: Embedder, dedup_threshold: float = 0.85, max_interests: int = 3):
        super().__init__()
        self.extract = dspy.Predict(ExtractInterests)
        self.embedder = embedder
        self.dedup_threshold = dedup_threshold
        self.max_interests = max_interests

    def forward(self, chunk: Chunk, persona: Persona) -> list[str]:
        passage = passage_text(chunk)
        result = call_lm("interests", self.extract, persona=persona_text(persona), passage=passage,
                         language=language_label(chunk.text))
        interests = [i for i in clean_interests(result.interests) if grounded(i, passage)]
        kept = semantic_dedup(interests, self.embedder, self.dedup_threshold)
        return [interests[i] for i in kept][: self.max_interests]


# Target proportions of the built-in types when sampled (DataMorgana-style categorisation, Filice et al.
# 2025): types every passage supports first; a sentiment question needs an attitude the passage expresses.
DEFAULT_TYPE_WEIGHTS = {"extractive": 3.0, "diagnostic": 2.0, "abstractive": 2.0, "comparative": 1.0,
                        "aggregative": 1.0, "sentiment": 0.5}


def sample_types(types: Mapping[str, float], k: int, seed: str) -> list[str]:
    """`k` distinct type names drawn with probability proportional to their weights (without replacement),
    the same for the same `seed`: a rerun or resume asks the same questions."""
    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    pool = {name: weight for name, weight in types.items() if weight > 0}
    chosen: list[str] = []
    while pool and len(chosen) < k:
        (name,) = rng.choices(list(pool), weights=list(pool.values()))
        chosen.append(name)
        del pool[name]
    return chosen


class QuestionTypeSelector(dspy.Module):
    """The question types of one interest: sampled from target proportions (`selection="sampled"`, no LM
    call), or those the LM finds the chunk supports (`"lm"`, the recipe's own step)."""

    def __init__(self, type_descriptions: dict[str, str], max_types: int = 2,
                 selection: Literal["sampled", "lm"] = "sampled", weights: Mapping[str, float] | None = None):
        super().__init__()
        if not type_descriptions:
            raise ValueError("at least one question type is required")
        self.type_descriptions = dict(type_descriptions)
        self.selection = selection
        given = dict(weights or {})
        self.weights = {name: given.get(name, DEFAULT_TYPE_WEIGHTS.get(name, 1.0)) for name in type_descriptions}
        # The schema lists the configured types (constrained decoders obey it); parsing accepts any string,
        # so an endpoint without constrained decoding that adds an unknown type loses only that type.
        allowed = Annotated[str, WithJsonSchema({"type": "string", "enum": list(self.type_descriptions)})]
        signature = SelectQuestionTypes.with_updated_fields("question_types", type_=list[allowed])
        self.select = dspy.Predict(signature)
        self.max_types = max_types

    def definitions(self) -> str:
        return "\n".join(f"- {name}: {desc}" for name, desc in self.type_descriptions.items())

    def forward(self, chunk: Chunk, interest: str, persona: str = "") -> list[str]:
        if self.selection == "sampled":
            return sample_types(self.weights, self.max_types, "\x1f".join([chunk.chunk_id, persona, interest.lower()]))
        result = call_lm("question_types", self.select, passage=passage_text(chunk), interest=interest,
                         type_definitions=self.definitions())
        chosen = [t for t in dict.fromkeys(result.question_types) if t in self.type_descriptions]
        return chosen[: self.max_types]


class QuestionWriter(dspy.Module):
    """One question per (chunk, persona, interest, question type)."""

    def __init__(self, type_descriptions: dict[str, str]):
        super().__init__()
        self.write = dspy.Predict(GenerateQuestion)
        self.type_descriptions = dict(type_descriptions)

    def forward(self, chunk: Chunk, persona: Persona, interest: str, question_type: str,
                own_words: bool = False) -> str:
        """The question; `own_words` asks for the persona's words instead of the passage's (wording.py)."""
        description = self.type_descriptions.get(question_type, "")
        if own_words:
            description = f"{description}; {OWN_WORDS}" if description else OWN_WORDS
        result = call_lm("generation", self.write, persona=persona_text(persona), passage=passage_text(chunk),
                         interest=interest, question_type=f"{question_type}: {description}",
                         language=language_label(chunk.text))
        return re.sub(r"([?？])\1+", r"\1", " ".join(result.question.split()))
