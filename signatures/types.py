"""Bounded field types shared by the signatures: a small model must not be able to ramble."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=60)]
QuestionText = Annotated[str, StringConstraints(min_length=5, max_length=300)]
# A freshly written question: one line ending in "?", the only question mark. Under constrained decoding the
# model cannot stop before it has asked something (SmolLM2 otherwise often answers or lists), nor run several
# questions together (the 1.5B model wrote three in a row for 3 of 29 sample questions). No straight double
# quote or backslash: llama.cpp's grammar for a pattern emits them raw inside the JSON string, breaking it.
ASKED_QUESTION_PATTERN = r'^[^"\\\n?]{4,299}[?]$'
AskedQuestion = Annotated[
    str, StringConstraints(min_length=5, max_length=300, pattern=ASKED_QUESTION_PATTERN)
]
ReasonText = Annotated[str, StringConstraints(max_length=240)]
ShortReason = Annotated[str, StringConstraints(max_length=100)]
SentenceNumber = Annotated[int, Field(ge=1, le=200)]  # of a passage shown as numbered sentences
MAX_JUDGED_ANSWER = 120
AnswerText = Annotated[
    str, StringConstraints(max_length=MAX_JUDGED_ANSWER)
]  # the judge's short answer (round trip)
# The answer a question is written for, chosen first from its sentence: long enough for a clause, so it is
# not cut mid-phrase (an answer that reaches this length is treated as cut and not kept).
MAX_INTENDED_ANSWER = 240
IntendedAnswer = Annotated[str, StringConstraints(min_length=1, max_length=MAX_INTENDED_ANSWER)]

QuestionType = Literal["extractive", "abstractive", "diagnostic", "sentiment", "aggregative", "comparative"]

# What the answer of each type looks like. Written as the kind of answer, not as a question stub or with the
# word "passage": small models copy type descriptions into their questions.
QUESTION_TYPE_DESCRIPTIONS: dict[str, str] = {
    "extractive": "answered by one fact stated outright, such as a figure, date, name or definition",
    "abstractive": "answered by summarising or explaining what several sentences say together",
    "diagnostic": "answered by a cause, a fix or a way to decide",
    "sentiment": "answered by an attitude, worry or judgement that someone expresses",
    "aggregative": "answered by listing, counting or adding up several items",
    "comparative": "answered by how two named things differ or relate",
}
