"""Scoring retrievers with an evaluation set: ranx metrics overall and per query group with paired tests,
the validation arithmetic (does a synthetic set rank retrievers the way human queries do?), report tables
and charts. `run_evaluation` and `run_validation` are the `evaluate` and `validate` commands as library
functions."""

from personaqa.programs.evaluation.evaluate import EvaluateJob, EvaluateResult, run_evaluation
from personaqa.programs.evaluation.scoring import EvaluationReport, evaluate_runs
from personaqa.programs.evaluation.validate import ValidateJob, run_validation

__all__ = [
    "EvaluateJob",
    "EvaluateResult",
    "EvaluationReport",
    "ValidateJob",
    "evaluate_runs",
    "run_evaluation",
    "run_validation",
]
