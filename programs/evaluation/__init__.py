"""Scoring retrievers with an evaluation set: BEIR folders, the built-in and plug-in retrievers, the panel
that runs them under one policy for degenerate input, ranx metrics, and the validation arithmetic (does a
synthetic set rank retrievers the way human queries do?). `run_evaluation` and `run_validation` are the
`evaluate` and `validate` commands as library functions."""

from personaqa.programs.evaluation.beir import BeirCollection, load_beir
from personaqa.programs.evaluation.evaluate import EvaluateJob, EvaluateResult, run_evaluation
from personaqa.programs.evaluation.panel import Panel, build_panel
from personaqa.programs.evaluation.retrievers import BUILT_IN, Retriever, build_retriever
from personaqa.programs.evaluation.scoring import EvaluationReport, evaluate_runs
from personaqa.programs.evaluation.validate import ValidateJob, run_validation

__all__ = [
    "load_beir", "BeirCollection", "build_retriever", "Retriever", "BUILT_IN", "build_panel", "Panel",
    "evaluate_runs", "EvaluationReport", "EvaluateJob", "EvaluateResult", "run_evaluation", "ValidateJob",
    "run_validation",
]
