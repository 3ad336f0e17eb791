"""Bounded field types shared by the signatures: a small model must not be able to ramble."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=60)]
QuestionText = Annotated[str, StringConstraints(min_length=5, max_length=300)]
# A freshly written question: one line ending in "?". Under constrained decoding the model cannot stop
# before it has asked something (SmolLM2 otherwise often answers or lists). No straight double quote or
# backslash: llama.cpp's grammar for a pattern emits them raw inside the JSON string, which would break it.
ASKED_QUESTION_PATTERN = r'^[^"\\\n]{4,299}[?]$'
AskedQuestion = Annotated[str, StringConstraints(min_length=5, max_length=300, pattern=ASKED_QUESTION_PATTERN)]
ReasonText = Annotated[str, StringConstraints(max_length=240)]
StyleText = Annotated[str, StringConstraints(min_length=5, max_length=400)]

QuestionType = Literal["extractive", "abstractive", "diagnostic", "sentiment", "aggregative", "comparative"]

QUESTION_TYPE_DESCRIPTIONS: dict[str, str] = {
    "extractive": "asks for a fact stated in the passage (a name, number, date, term or definition)",
    "abstractive": "asks for a summary or explanation that the passage supports but does not state in one sentence",
    "diagnostic": "asks why something happens or how to fix, troubleshoot or decide something described",
    "sentiment": "asks about an attitude, concern, risk or judgement expressed in the passage",
    "aggregative": "asks to list, count or combine several items mentioned in the passage",
    "comparative": "asks how two or more things in the passage differ or relate",
}
