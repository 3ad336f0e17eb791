"""The data that flows through personaqa: documents, chunks, personas, question records."""

from __future__ import annotations

from typing import Literal

from personaqa.programs.core.stages import Stage
from personaqa.signatures.style import StyleLength, StyleTone, StyleWording
from pydantic import BaseModel, ConfigDict, Field, field_validator

Complexity = Literal["single", "multi"]


class Evidence(BaseModel):
    """A span of a chunk that supports the answer: `text` is `chunk.text[start:end]`."""

    chunk_id: str
    start: int
    end: int
    text: str


class Document(BaseModel):
    """One source document as loaded from the user's files."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    title: str = ""
    text: str


class Chunk(BaseModel):
    """A passage of a document; the unit a question is labelled with."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    doc_id: str
    title: str = ""
    text: str
    start: int = Field(description="character offset of the chunk in its document")


class PersonaStyle(BaseModel):
    """How a persona writes, when the user knows it: each choice given here is used as it is, the others
    are derived from the description by the LM (`PersonaStylist`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tone: StyleTone | None = None
    length: StyleLength | None = None
    wording: StyleWording | None = None


class Persona(BaseModel):
    """A kind of user who asks questions about the documents."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    own_wording_share: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="share of this persona's "
        "questions written in their own words (default: the run's setting)",
    )
    style: PersonaStyle = Field(
        default_factory=PersonaStyle,
        description="writing-style choices the user "
        "sets (default: all derived from the description by the LM)",
    )
    examples: tuple[str, ...] = Field(
        default=(),
        max_length=20,
        description="questions this kind of user "
        "asks, in their own words (shown to the style rewrite; never kept as they are)",
    )

    @field_validator("name", "description")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("examples")
    @classmethod
    def _examples(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        examples = tuple(" ".join(example.split()) for example in value)
        if any(not example for example in examples):
            raise ValueError("an example question must not be blank")
        return examples


class Verdict(BaseModel):
    """A judge's label with the reason it gave."""

    label: str
    reason: str = ""


SOURCE_GRADE = 2  # the qrels grade of the chunk(s) a question was written from, and of their copies


class PooledJudgement(BaseModel):
    """The relevance judge's verdict on a chunk that a retriever ranked in its top K for a question (pooled
    judging, programs/run/pooled_judging.py). `grade` is the qrels score: 2 answers fully, 1 partially, 0 not
    or its quoted evidence is not in the chunk; None when the judge's answer could not be used (`verdict` is
    `lm_error`, `reason` says why), so the chunk stays unjudged."""

    chunk_id: str
    grade: int | None = Field(ge=0, le=SOURCE_GRADE)
    verdict: str
    answer: str = ""
    evidence: list[Evidence] = Field(default_factory=list)
    reason: str = ""
    retrievers: list[str] = Field(default_factory=list, description="the retrievers that pooled it")


class QuestionRecord(BaseModel):
    """One question with its full provenance. `question` is the final, persona-styled text: the one
    both judges' verdicts are about; `original_question` is what the question writer wrote."""

    question_id: str
    question: str
    original_question: str
    persona: str
    interest: str
    question_type: str
    chunk_id: str
    doc_id: str
    relevance: Verdict | None = None
    generality: Verdict | None = None
    answer: str = Field(
        default="",
        description="the answer the question was written for, chosen first from "
        "its chunk and given back by the relevance judge answering blind (round trip); for a "
        "multi-chunk question, the judge's answer",
    )
    evidence: list[Evidence] = Field(
        default_factory=list,
        description="the spans of the chunk that support "
        "the answer: the sentences the judge cited (evidence.cited)",
    )
    complexity: Complexity = "single"
    chunk_ids: list[str] = Field(default_factory=list, description="every chunk holding part of the answer")
    duplicate_chunk_ids: list[str] = Field(
        default_factory=list,
        description="other chunks, copies of one in "
        "chunk_ids, that answer the question as well (programs/corpus/chunk_copies.py)",
    )
    pooled: list[PooledJudgement] = Field(
        default_factory=list,
        description="verdicts on the other chunks "
        "that retrievers ranked high for the question (--pool-depth)",
    )
    wording: Literal["passage", "own"] = Field(
        default="passage", description="asked for in the passage's words, or in the person's own (wording.py)"
    )
    lexical_overlap: float = Field(
        default=0.0,
        description="share of the question's content words found in its chunk (wording.lexical_overlap)",
    )
    categories: dict[str, str] = Field(
        default_factory=dict,
        description="axis -> the category the question was written for (recipe/categories.py)",
    )

    def model_post_init(self, context: object) -> None:
        if not self.chunk_ids:
            self.chunk_ids = [self.chunk_id]

    def relevant_chunk_ids(self) -> list[str]:
        """The chunks the question was written from and their copies: every one answers it (grade 2)."""
        return [*self.chunk_ids, *self.duplicate_chunk_ids]

    def qrels(self) -> dict[str, int]:
        """chunk id → grade, as the BEIR qrels list them: the question's own chunks and their copies 2, each
        pooled chunk the grade it was judged (0 included: judged not relevant); unjudged chunks absent."""
        grades = dict.fromkeys(self.relevant_chunk_ids(), SOURCE_GRADE)
        for judged in self.pooled:
            if judged.grade is not None:
                grades.setdefault(judged.chunk_id, judged.grade)
        return grades


class Rejection(BaseModel):
    """A candidate that a stage dropped, with the stage and reason."""

    question_id: str
    stage: Stage
    reason: str
    question: str = ""
    persona: str
    interest: str = ""
    question_type: str = ""
    chunk_id: str
    doc_id: str
    relevance: Verdict | None = None
    generality: Verdict | None = None
    complexity: Complexity = "single"
    chunk_ids: list[str] = Field(default_factory=list)
    categories: dict[str, str] = Field(default_factory=dict)

    def model_post_init(self, context: object) -> None:
        if not self.chunk_ids:
            self.chunk_ids = [self.chunk_id]
