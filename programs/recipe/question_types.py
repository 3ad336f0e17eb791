"""The question types of an interest: drawn from target proportions, or chosen by the LM, each one its
sentence can answer (type_fit.py)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Annotated, Literal

import dspy
from personaqa.programs.core.records import Chunk
from personaqa.programs.lm.calls import call_lm
from personaqa.programs.recipe.text_views import passage_text
from personaqa.programs.recipe.type_fit import fitting_types
from personaqa.signatures import SelectQuestionTypes
from pydantic import WithJsonSchema

# Target proportions of the built-in types when sampled (DataMorgana-style categorisation, Filice et al.
# 2025): types every passage supports first; a sentiment question needs an attitude the passage expresses.
DEFAULT_TYPE_WEIGHTS = {
    "extractive": 3.0,
    "diagnostic": 2.0,
    "abstractive": 2.0,
    "comparative": 1.0,
    "aggregative": 1.0,
    "sentiment": 0.5,
}


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

    def __init__(
        self,
        type_descriptions: dict[str, str],
        max_types: int = 2,
        selection: Literal["sampled", "lm"] = "sampled",
        weights: Mapping[str, float] | None = None,
    ):
        super().__init__()
        if not type_descriptions:
            raise ValueError("at least one question type is required")
        self.type_descriptions = dict(type_descriptions)
        self.selection = selection
        given = dict(weights or {})
        self.weights = {
            name: given.get(name, DEFAULT_TYPE_WEIGHTS.get(name, 1.0)) for name in type_descriptions
        }
        # The schema lists the configured types (constrained decoders obey it); parsing accepts any string,
        # so an endpoint without constrained decoding that adds an unknown type loses only that type.
        allowed = Annotated[str, WithJsonSchema({"type": "string", "enum": list(self.type_descriptions)})]
        signature = SelectQuestionTypes.with_updated_fields("question_types", type_=list[allowed])
        self.select = dspy.Predict(signature)
        self.max_types = max_types

    def definitions(self) -> str:
        return "\n".join(f"- {name}: {desc}" for name, desc in self.type_descriptions.items())

    def forward(self, chunk: Chunk, interest: str, persona: str = "", sentence: str = "") -> list[str]:
        """Up to `max_types` type names for the interest, each one its `sentence` can answer
        (`type_fit.fitting_types`; every type without a sentence). Raises StageFailure (LM selection)."""
        if self.selection == "sampled":
            fitting = set(fitting_types(self.weights, sentence))
            return sample_types(
                {name: w for name, w in self.weights.items() if name in fitting},
                self.max_types,
                f"{chunk.chunk_id}\x1f{persona}\x1f{interest.lower()}",
            )
        result = call_lm(
            "question_types",
            self.select,
            passage=passage_text(chunk),
            interest=interest,
            type_definitions=self.definitions(),
        )
        chosen = [t for t in dict.fromkeys(result.question_types) if t in self.type_descriptions]
        return fitting_types(chosen, sentence)[: self.max_types]
