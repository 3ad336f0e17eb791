"""Complex-question stage: write and judge questions whose answer needs every chunk of a group."""

from __future__ import annotations

import dspy
from personaqa.programs.core.records import Chunk, Persona, Verdict
from personaqa.programs.lm.calls import call_lm
from personaqa.programs.recipe.text_views import language_label, passage_text, persona_text
from personaqa.signatures import (
    COMPLEX_TYPE_DESCRIPTIONS,
    GenerateMultiPassageQuestion,
    JudgeMultiPassageRelevance,
)


def numbered_passages(chunks: list[Chunk]) -> str:
    return "\n\n".join(f"[{i}] {passage_text(c)}" for i, c in enumerate(chunks, start=1))


class MultiChunkQuestions(dspy.Module):
    """A multi-passage question writer and its judge (which also says if one passage alone suffices)."""

    def __init__(self) -> None:
        super().__init__()
        self.write = dspy.Predict(GenerateMultiPassageQuestion)
        self.judge_group = dspy.Predict(JudgeMultiPassageRelevance)

    def write_question(self, chunks: list[Chunk], persona: Persona, question_type: str) -> str:
        description = COMPLEX_TYPE_DESCRIPTIONS.get(question_type, "")
        result = call_lm(
            "complex_generation",
            self.write,
            persona=persona_text(persona),
            passages=numbered_passages(chunks),
            question_type=f"{question_type}: {description}",
            language=language_label(chunks[0].text),
        )
        return " ".join(result.question.split())

    def judge(self, chunks: list[Chunk], question: str) -> tuple[Verdict, int]:
        """The group verdict, and the number of a passage that alone answers fully (0 when none does)."""
        result = call_lm(
            "complex_relevance", self.judge_group, passages=numbered_passages(chunks), question=question
        )
        single = int(result.single_passage) if 0 < int(result.single_passage) <= len(chunks) else 0
        return Verdict(label=result.verdict, reason=result.reason), single
