"""The recipe: the dspy.Modules that call the signatures, composed by `SyntheticEvalProgram`, and the
deterministic checks they apply (`checks/`).

Read in this order: `chain` (the steps in the order the code runs them: generate and check each question
as written, name what it is about, style it, judge relevance then generality, dedup), `pipeline` (the whole
program for one unit, walking the chain), `steps` (each step's check), then the modules the steps call:
`generation` (interests, question types, questions), `context` (naming the subject), `styling` (the
persona's writing style), `filters` (near-duplicates, relevance and generality judges), `complex_questions`
(multi-chunk); `build` configures it for a run."""

from personaqa.programs.recipe.build import build_program
from personaqa.programs.recipe.complex_questions import MultiChunkQuestions
from personaqa.programs.recipe.filters import BatchedFilters, GeneralityJudge, RelevanceJudge
from personaqa.programs.recipe.generation import InterestExtractor, QuestionWriter
from personaqa.programs.recipe.pipeline import ProgramSettings, SyntheticEvalProgram
from personaqa.programs.recipe.program_io import load_program_state, save_program_state
from personaqa.programs.recipe.question_types import QuestionTypeSelector
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
