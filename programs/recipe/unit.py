"""The unit a chain walks over: a chunk analysed once (its sentences, numbered text and language), the
persona asking about it, and how a candidate of it becomes a kept record or a `Rejection`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from personaqa.programs.core.records import Chunk, Persona, QuestionRecord, Rejection
from personaqa.programs.corpus.language import detect_language
from personaqa.programs.lm.calls import StageFailure
from personaqa.programs.recipe.candidate import Candidate, question_id
from personaqa.programs.recipe.checks.evidence import sentence_spans
from personaqa.programs.recipe.text_views import language_label, numbered_passage
from personaqa.programs.recipe.wording import lexical_overlap


@dataclass(frozen=True)
class ChunkView:
    """A chunk as every step reads it, analysed once per unit: its sentences as (start, end) offsets (as
    `evidence.numbered` numbers them), its language (ISO code, None when not confidently detected) and the
    language's name for prompts. The segmenter and the detector cache what they computed for the chunk's
    text (segmentation.sentence_ends, language.detect_language), so the checks that take the chunk's text
    read the same analysis."""

    chunk: Chunk

    @cached_property
    def spans(self) -> list[tuple[int, int]]:
        return sentence_spans(self.chunk.text)

    @cached_property
    def language(self) -> str | None:
        return detect_language(self.chunk.text)

    @cached_property
    def language_label(self) -> str:
        return language_label(self.chunk.text)

    @cached_property
    def numbered_passage(self) -> str:
        return numbered_passage(self.chunk)

    def sentence(self, number: int) -> str:
        """The chunk's sentence with this 1-based number."""
        start, end = self.spans[number - 1]
        return self.chunk.text[start:end]


@dataclass(frozen=True)
class Unit:
    """A persona and the chunk it asks about; for a multi-chunk question, the chunks of its group (the
    first is the one its records and rejections are filed under)."""

    view: ChunkView
    persona: Persona
    group: tuple[Chunk, ...] = ()

    @classmethod
    def of(cls, chunk: Chunk, persona: Persona, group: tuple[Chunk, ...] = ()) -> Unit:
        return cls(ChunkView(chunk), persona, group)

    @property
    def chunk(self) -> Chunk:
        return self.view.chunk

    def reject(self, candidate: Candidate, stage: str, reason: str) -> Rejection:
        return Rejection(
            question_id=candidate.question_id,
            stage=stage,
            reason=reason,
            question=candidate.styled_question or candidate.question,
            persona=self.persona.name,
            interest=candidate.interest,
            question_type=candidate.question_type,
            chunk_id=self.chunk.chunk_id,
            doc_id=self.chunk.doc_id,
            relevance=candidate.relevance,
            generality=candidate.generality,
            complexity="multi" if candidate.chunk_ids else "single",
            chunk_ids=candidate.chunk_ids,
            categories=candidate.categories,
        )

    def reject_unit(self, failure: StageFailure, interest: str = "") -> Rejection:
        """A failed LM call before any question was written (interests, question types)."""
        qid = question_id(self.chunk, self.persona, interest or f"<{failure.stage}>", "")
        return Rejection(
            question_id=qid,
            stage="lm_error",
            reason=str(failure),
            persona=self.persona.name,
            interest=interest,
            chunk_id=self.chunk.chunk_id,
            doc_id=self.chunk.doc_id,
        )

    def record(self, candidate: Candidate) -> QuestionRecord:
        return QuestionRecord(
            question_id=candidate.question_id,
            question=candidate.styled_question,
            original_question=candidate.question,
            persona=self.persona.name,
            interest=candidate.interest,
            question_type=candidate.question_type,
            chunk_id=self.chunk.chunk_id,
            doc_id=self.chunk.doc_id,
            relevance=candidate.relevance,
            generality=candidate.generality,
            answer=candidate.answer,
            evidence=candidate.evidence,
            complexity="multi" if candidate.chunk_ids else "single",
            chunk_ids=candidate.chunk_ids,
            wording=candidate.wording,
            lexical_overlap=round(lexical_overlap(candidate.styled_question, self.chunk.text), 3),
            categories=candidate.categories,
        )
