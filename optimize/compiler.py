"""Compile a target (the whole program or one stage) with a DSPy optimizer under a budget."""

from __future__ import annotations

from typing import Any, Literal

import dspy
from personaqa.optimize.metrics import JudgeMetric
from pydantic import BaseModel, ConfigDict, Field

OptimizerName = Literal["bootstrap", "random-search", "mipro", "gepa", "labeled"]
OPTIMIZERS: tuple[str, ...] = ("bootstrap", "random-search", "mipro", "gepa", "labeled")


class Budget(BaseModel):
    """Knobs that bound how many LM calls a compile may spend."""

    model_config = ConfigDict(extra="forbid")

    max_bootstrapped_demos: int = Field(default=2, ge=0, le=16)
    max_labeled_demos: int = Field(default=2, ge=0, le=16)
    candidates: int = Field(default=4, ge=1, le=64, description="candidate programs / instructions to try")
    trials: int = Field(default=6, ge=1, le=200, description="MIPROv2 search trials")
    max_metric_calls: int = Field(default=60, ge=1, description="GEPA rollouts budget")
    threads: int = Field(default=1, ge=1, le=64)
    metric_threshold: float = Field(
        default=0.66, ge=0, le=1, description="score a bootstrapped demo must reach"
    )


def build_optimizer(
    name: str, metric: JudgeMetric, budget: Budget, reflection_lm: dspy.LM | None = None
) -> Any:
    if getattr(getattr(metric, "target", None), "name", "") == "program":
        # whole-program examples carry no per-step labels: only bootstrapped (traced) demos make sense
        budget = budget.model_copy(update={"max_labeled_demos": 0})
    if name == "labeled":
        return dspy.LabeledFewShot(k=budget.max_labeled_demos)
    if name == "bootstrap":
        return dspy.BootstrapFewShot(
            metric=metric,
            metric_threshold=budget.metric_threshold,
            max_bootstrapped_demos=budget.max_bootstrapped_demos,
            max_labeled_demos=budget.max_labeled_demos,
            max_rounds=1,
        )
    if name == "random-search":
        return dspy.BootstrapFewShotWithRandomSearch(
            metric=metric,
            metric_threshold=budget.metric_threshold,
            max_bootstrapped_demos=budget.max_bootstrapped_demos,
            max_labeled_demos=budget.max_labeled_demos,
            num_candidate_programs=budget.candidates,
            num_threads=budget.threads,
        )
    if name == "mipro":
        return dspy.MIPROv2(
            metric=metric,
            auto=None,
            num_candidates=budget.candidates,
            num_threads=budget.threads,
            max_bootstrapped_demos=budget.max_bootstrapped_demos,
            max_labeled_demos=budget.max_labeled_demos,
            metric_threshold=budget.metric_threshold,
            verbose=False,
        )
    if name == "gepa":
        if reflection_lm is None:
            raise ValueError("GEPA needs a reflection LM")
        metric.with_feedback = True
        return dspy.GEPA(
            metric=metric,
            reflection_lm=reflection_lm,
            max_metric_calls=budget.max_metric_calls,
            num_threads=budget.threads,
            track_stats=False,
        )
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def run_optimizer(
    name: str,
    optimizer: Any,
    student: dspy.Module,
    trainset: list[dspy.Example],
    valset: list[dspy.Example],
    budget: Budget,
) -> dspy.Module:
    if name in ("labeled", "bootstrap"):
        return optimizer.compile(student, trainset=trainset)
    if name == "random-search":
        return optimizer.compile(student, trainset=trainset, valset=valset)
    if name == "mipro":
        return optimizer.compile(
            student,
            trainset=trainset,
            valset=valset,
            num_trials=budget.trials,
            minibatch=len(valset) > 8,
            minibatch_size=min(8, len(valset)),
            requires_permission_to_run=False,
        )
    return optimizer.compile(student, trainset=trainset, valset=valset)
