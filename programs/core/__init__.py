"""What every room shares: the records that flow through a run, the user-facing errors, atomic file
output and JSON Lines reading."""

from personaqa.programs.core.errors import (
    InputError, LMUnavailableError, NothingKeptError, PersonaqaError, ServiceError,
)
from personaqa.programs.core.records import (
    Chunk, Complexity, Document, Evidence, Persona, QuestionRecord, Rejection, Stage, Verdict,
)

__all__ = [
    "PersonaqaError", "InputError", "LMUnavailableError", "ServiceError", "NothingKeptError",
    "Document", "Chunk", "Persona", "Evidence", "Verdict", "QuestionRecord", "Rejection", "Stage", "Complexity",
]
