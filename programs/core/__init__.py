"""What every room shares: the records that flow through a run, the user-facing errors, atomic file
output and JSON Lines reading."""

from personaqa.programs.core.errors import (
    InputError,
    LMUnavailableError,
    NothingKeptError,
    PersonaqaError,
    ServiceError,
)
from personaqa.programs.core.records import (
    Chunk,
    Complexity,
    Document,
    Evidence,
    Persona,
    QuestionRecord,
    Rejection,
    Verdict,
)
from personaqa.programs.core.stages import Stage

__all__ = [
    "Chunk",
    "Complexity",
    "Document",
    "Evidence",
    "InputError",
    "LMUnavailableError",
    "NothingKeptError",
    "Persona",
    "PersonaqaError",
    "QuestionRecord",
    "Rejection",
    "ServiceError",
    "Stage",
    "Verdict",
]
