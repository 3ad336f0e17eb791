"""The recipe as DSPy modules and the machinery around it, one room per concern:

- `recipe/` — the dspy.Modules that call the signatures, composed by `SyntheticEvalProgram` along one
  list of steps (`recipe/chain.py`: generate → check → style → judge → dedup), and the deterministic
  checks they apply;
- `corpus/` — documents, personas, chunking, embeddings, chunk groups, languages;
- `lm/` — building LMs (embedded, GGUF, endpoints), structured output, LM calls and their usage;
- `run/` — a generate run: plan units, execute them (threads or Ray), checkpoint, export;
- `retrieval/` — BEIR folders, retrievers and the panel that runs them;
- `evaluation/` — metrics, validation against human queries;
- `tracking/` — MLflow: where runs go and what is logged;
- `cli/` — the `personaqa` command line, which only parses arguments and calls the rooms above;
- `core/` (records, errors, atomic files) and `config.py` (RunConfig), shared by all.

The public API is re-exported here (imported on first use, so `import personaqa.programs` stays cheap):
`from personaqa.programs import SyntheticEvalProgram, Chunk, Persona, run_generation`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from personaqa.programs.config import LMConfig, RunConfig, load_config
    from personaqa.programs.core.errors import InputError, PersonaqaError
    from personaqa.programs.core.records import Chunk, Document, Evidence, Persona, QuestionRecord, Rejection
    from personaqa.programs.corpus.documents import iter_documents
    from personaqa.programs.corpus.embedding import load_embedder
    from personaqa.programs.corpus.personas import load_personas
    from personaqa.programs.evaluation.evaluate import EvaluateJob, run_evaluation
    from personaqa.programs.evaluation.scoring import evaluate_runs
    from personaqa.programs.evaluation.validate import ValidateJob, run_validation
    from personaqa.programs.lm.build import build_lm
    from personaqa.programs.lm.structured_output import BoundedJSONAdapter
    from personaqa.programs.recipe.build import build_program
    from personaqa.programs.recipe.pipeline import ProgramSettings, SyntheticEvalProgram
    from personaqa.programs.recipe.program_io import load_program_state, save_program_state
    from personaqa.programs.retrieval.beir import load_beir
    from personaqa.programs.retrieval.retrievers import build_retriever
    from personaqa.programs.run.job import GenerationJob, RunReport
    from personaqa.programs.run.runner import run_generation

_EXPORTS = {
    "personaqa.programs.config": ["LMConfig", "RunConfig", "load_config"],
    "personaqa.programs.core.errors": ["InputError", "PersonaqaError"],
    "personaqa.programs.core.records": [
        "Chunk",
        "Document",
        "Evidence",
        "Persona",
        "QuestionRecord",
        "Rejection",
    ],
    "personaqa.programs.corpus.documents": ["iter_documents"],
    "personaqa.programs.corpus.embedding": ["load_embedder"],
    "personaqa.programs.corpus.personas": ["load_personas"],
    "personaqa.programs.retrieval.beir": ["load_beir"],
    "personaqa.programs.evaluation.evaluate": ["EvaluateJob", "run_evaluation"],
    "personaqa.programs.retrieval.retrievers": ["build_retriever"],
    "personaqa.programs.evaluation.scoring": ["evaluate_runs"],
    "personaqa.programs.evaluation.validate": ["ValidateJob", "run_validation"],
    "personaqa.programs.lm.build": ["build_lm"],
    "personaqa.programs.lm.structured_output": ["BoundedJSONAdapter"],
    "personaqa.programs.recipe.build": ["build_program"],
    "personaqa.programs.recipe.pipeline": ["ProgramSettings", "SyntheticEvalProgram"],
    "personaqa.programs.recipe.program_io": ["load_program_state", "save_program_state"],
    "personaqa.programs.run.job": ["GenerationJob", "RunReport"],
    "personaqa.programs.run.runner": ["run_generation"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
# The names of _EXPORTS, spelled out so linters and type checkers see the re-exports (tests check they agree).
__all__ = [
    "BoundedJSONAdapter",
    "Chunk",
    "Document",
    "EvaluateJob",
    "Evidence",
    "GenerationJob",
    "InputError",
    "LMConfig",
    "Persona",
    "PersonaqaError",
    "ProgramSettings",
    "QuestionRecord",
    "Rejection",
    "RunConfig",
    "RunReport",
    "SyntheticEvalProgram",
    "ValidateJob",
    "build_lm",
    "build_program",
    "build_retriever",
    "evaluate_runs",
    "iter_documents",
    "load_beir",
    "load_config",
    "load_embedder",
    "load_personas",
    "load_program_state",
    "run_evaluation",
    "run_generation",
    "run_validation",
    "save_program_state",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
