"""`personaqa compile` as a job: baseline → optimize → score → save JSON state → log to MLflow."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import dspy
from personaqa.optimize.agreement import Agreement, judge_agreement
from personaqa.optimize.compiler import Budget, build_optimizer, run_optimizer
from personaqa.optimize.evaluation import EvalReport, evaluate_target
from personaqa.optimize.judges import JudgePanel
from personaqa.optimize.labels import file_hash, load_labelled
from personaqa.optimize.metrics import Weights
from personaqa.optimize.targets import TARGETS
from personaqa.programs.config import LMConfig, RunConfig
from personaqa.programs.core.errors import InputError
from personaqa.programs.lm.build import adapter_for, build_lm, describe_lm
from personaqa.programs.recipe.build import build_program
from personaqa.programs.recipe.program_io import check_program_path, save_program_state
from personaqa.programs.run.preflight import check_services
from personaqa.programs.tracking import log as tracking_log


@dataclass
class CompileJob:
    config: RunConfig
    trainset: Path
    devset: Path
    optimizer: str
    out: Path
    target: str = "program"
    budget: Budget = field(default_factory=Budget)
    weights: Weights = field(default_factory=Weights)
    program_path: Path | None = None
    reflection_lm: LMConfig | None = None
    limit_train: int | None = None
    limit_dev: int | None = None
    mlflow: bool = True
    measure_agreement: bool = True


@dataclass
class CompileResult:
    baseline: EvalReport
    compiled: EvalReport
    agreement: list[Agreement]
    out: Path
    wall_seconds: float


def run_compile(job: CompileJob) -> CompileResult:
    if job.target not in TARGETS:
        raise InputError(f"--stage {job.target}: unknown; choose one of {', '.join(TARGETS)}")
    if job.target == "program" and job.optimizer == "labeled":
        raise InputError(
            "--optimizer labeled needs a single stage (--stage writer or stylist): whole-program "
            "examples have no per-step labels"
        )
    if job.out.suffix.lower() != ".json":
        raise InputError(f"--out {job.out}: compiled programs are saved as .json")
    if job.program_path is not None:
        check_program_path(job.program_path)  # before any LM is built or probed
    started = time.monotonic()
    train = load_labelled(job.trainset)[: job.limit_train]
    dev = load_labelled(job.devset)[: job.limit_dev]
    check_services(mlflow=job.mlflow, out_dir=job.out.parent)  # before the LM probes in build_lm
    task_lm = build_lm(job.config.lm)
    judge_lm = build_lm(job.config.judge_lm) if job.config.judge_lm else task_lm
    reflection = build_lm(job.reflection_lm) if job.reflection_lm else judge_lm
    program = build_program(job.config, job.program_path)
    target = TARGETS[job.target](program)
    panel = JudgePanel(judge_lm)
    metric = target.metric(panel, job.weights)
    with dspy.context(lm=task_lm, adapter=adapter_for(task_lm)):  # the stylist's examples derive styles
        trainset = [x for e in train for x in target.examples(e)]
        devset = [x for e in dev for x in target.examples(e)]
    params = {
        "optimizer": job.optimizer,
        "stage": job.target,
        "budget": job.budget.model_dump(),
        "weights": job.weights.model_dump(),
        "lm": describe_lm(job.config.lm),
        "judge_lm": describe_lm(job.config.judge_lm) if job.config.judge_lm else describe_lm(job.config.lm),
        "reflection_lm": describe_lm(job.reflection_lm) if job.reflection_lm else None,
        "trainset": str(job.trainset),
        "trainset_sha256": file_hash(job.trainset),
        "train_examples": len(trainset),
        "devset": str(job.devset),
        "devset_sha256": file_hash(job.devset),
        "dev_examples": len(devset),
        "start_program": str(job.program_path) if job.program_path else None,
    }
    late = tracking_log.LateLog(
        f"the compile run (the program is saved at {job.out})",
        "rerun the command once the store is back to log it (this repeats the LM work)",
    )
    with (
        dspy.context(lm=task_lm, adapter=adapter_for(task_lm)),
        tracking_log.mlflow_run(
            f"compile-{job.target}-{job.optimizer}",
            job.mlflow,
            autolog=True,
            tags={"personaqa.command": "compile"},
            late=late,
        ) as run,
    ):
        if run is not None:
            tracking_log.log_params(params)
        baseline = evaluate_target("baseline", target, metric, devset)
        optimizer = build_optimizer(job.optimizer, metric, job.budget, reflection)
        compiled_target = run_optimizer(job.optimizer, optimizer, target, trainset, devset, job.budget)
        metric.with_feedback = False
        compiled = evaluate_target(job.optimizer, compiled_target, metric, devset)
        compiled_target.install(program)
        save_program_state(program, job.out, baseline=build_program(job.config, job.program_path))
        agreement = judge_agreement(panel, dev) if job.measure_agreement else []
        if run is not None:
            late(lambda: _log_compile(job, baseline, compiled, agreement, dev))
    return CompileResult(baseline, compiled, agreement, job.out, time.monotonic() - started)


def report_metrics(report: EvalReport) -> dict[str, float]:
    metrics = {
        "composite": report.composite.mean,
        "accepted_questions": report.accepted_questions,
        "task_lm_calls": report.task_lm_calls,
        "calls_per_accepted": report.calls_per_accepted,
        "tokens_per_accepted": report.tokens_per_accepted,
        "wall_seconds": report.wall_seconds,
    }
    metrics.update({aspect: interval.mean for aspect, interval in report.aspects.items()})
    return {k: v for k, v in metrics.items() if v != float("inf")}


def question_rows(report: EvalReport, dev) -> list[dict]:
    passages = {e.id: (e.persona.name, e.passage.text) for e in dev}
    return [
        {
            "example": row["id"],
            "persona": passages.get(row["id"], ("", ""))[0],
            "passage": passages.get(row["id"], ("", ""))[1],
            "question": question,
            "composite": round(row.get("composite", 0.0), 3),
            "feedback": row.get("feedback", ""),
        }
        for row in report.rows
        for question in row.get("questions", [])
    ]


def _log_compile(
    job: CompileJob, baseline: EvalReport, compiled: EvalReport, agreement: list[Agreement], dev
) -> None:
    tracking_log.log_metrics(report_metrics(baseline), prefix="before.")
    tracking_log.log_metrics(report_metrics(compiled), prefix="after.")
    for row in agreement:
        tracking_log.log_metrics({"accuracy": row.accuracy, "kappa": row.kappa}, prefix=f"judge.{row.judge}.")
    tracking_log.log_file(job.out, "program")
    tracking_log.log_json("evaluation.json", {"before": baseline.summary(), "after": compiled.summary()})
    tracking_log.log_json("sample_outputs.json", compiled.rows[:20])
    tracking_log.log_table("judge_agreement.json", [a.as_row() for a in agreement])
    tracking_log.log_table("questions.json", question_rows(compiled, dev))
