"""The recipe: the dspy.Modules that call the signatures, in the order of the method (generate → filter →
style), composed by `SyntheticEvalProgram`, and the deterministic checks they apply (`checks/`).

Read in this order: `generation` (interests, question types, questions), `filters` (near-duplicates,
relevance and generality judges), `styling` (the persona's writing style), `complex_questions` (multi-chunk),
`pipeline` (the whole program for one unit); `build` configures it for a run."""

from personaqa.programs.recipe.build import build_program
from personaqa.programs.recipe.complex_questions import MultiChunkQuestions
from personaqa.programs.recipe.filters import BatchedFilters, GeneralityJudge, RelevanceJudge
from personaqa.programs.recipe.generation import InterestExtractor, QuestionTypeSelector, QuestionWriter
from personaqa.programs.recipe.pipeline import ProgramSettings, SyntheticEvalProgram
from personaqa.programs.recipe.program_io import load_program_state, save_program_state
from personaqa.programs.recipe.styling import PersonaStylist

__all__ = [
    "BatchedFilters",
    "GeneralityJudge",
    "InterestExtractor",
    "MultiChunkQuestions",
    "PersonaStylist",
    "ProgramSettings",
    "QuestionTypeSelector",
    "QuestionWriter",
    "RelevanceJudge",
    "SyntheticEvalProgram",
    "build_program",
    "load_program_state",
    "save_program_state",
]
