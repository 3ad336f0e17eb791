"""The labelled set: a few dozen passages with personas and human judgements, in JSONL.

One JSON object per line:

    {"id": "harbor-01",
     "passage": {"doc_id": "harbor", "title": "...", "text": "..."},
     "persona": {"name": "...", "description": "..."},
     "interest": "break fee", "question_type": "extractive",
     "question": "a good reference question (optional)",
     "candidates": [{"question": "...", "label": "good"},
                    {"question": "...", "label": "bad", "reason": "not_answerable"}],
     "styled": [{"question": "...", "styled_question": "...", "faithful": true}]}

`reason` on a bad candidate is one of not_answerable, too_general, missing_context, off_persona.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import dspy
from personaqa.programs.core.errors import InputError
from personaqa.programs.core.jsonl import json_lines
from personaqa.programs.core.records import Chunk, Persona
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BadReason = Literal["not_answerable", "too_general", "missing_context", "off_persona"]


class Passage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(min_length=1)
    title: str = ""
    text: str = Field(min_length=20)


class LabelledCandidate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=5)
    label: Literal["good", "bad"]
    reason: BadReason | None = None

    @model_validator(mode="after")
    def _reason_matches_label(self) -> LabelledCandidate:
        if self.label == "bad" and self.reason is None:
            raise ValueError("a bad candidate needs a reason")
        if self.label == "good" and self.reason is not None:
            raise ValueError("a good candidate takes no reason")
        return self


class LabelledStyle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=5)
    styled_question: str = Field(min_length=5)
    faithful: bool


class LabelledExample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    passage: Passage
    persona: Persona
    interest: str = Field(min_length=1)
    question_type: str = Field(min_length=1)
    question: str | None = None
    candidates: list[LabelledCandidate] = Field(default_factory=list)
    styled: list[LabelledStyle] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_labels(self) -> LabelledExample:
        if not self.candidates and not self.styled:
            raise ValueError("needs at least one labelled candidate or styled rewrite")
        return self

    @property
    def chunk(self) -> Chunk:
        return Chunk(
            chunk_id=f"{self.passage.doc_id}#{self.id}",
            doc_id=self.passage.doc_id,
            title=self.passage.title,
            text=self.passage.text,
            start=0,
        )

    def to_dspy(self) -> dspy.Example:
        """A dspy.Example whose inputs are the program's inputs (chunk, persona, interest, question_type)."""
        return dspy.Example(
            chunk=self.chunk,
            persona=self.persona,
            interest=self.interest,
            question_type=self.question_type,
            question=self.question or "",
            labels=self,
        ).with_inputs("chunk", "persona", "interest", "question_type")


def load_labelled(path: Path | str) -> list[LabelledExample]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: labelled set not found")
    examples: list[LabelledExample] = []
    seen: set[str] = set()
    for number, row in json_lines(path):
        try:
            example = LabelledExample.model_validate(row)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "(line)"
            raise InputError(f"{path}:{number}: field '{field}': {err['msg']}") from None
        if example.id in seen:
            raise InputError(f"{path}:{number}: duplicate id {example.id!r}")
        seen.add(example.id)
        examples.append(example)
    if not examples:
        raise InputError(f"{path}: labelled set is empty")
    return examples


def file_hash(path: Path | str) -> str:
    """Short content hash, logged with a compile so a result can be traced to its data."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
