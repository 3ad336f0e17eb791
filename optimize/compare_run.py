"""`personaqa compare` as a job: score the baseline and compiled variants on one dev set, side by side."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import dspy
from personaqa.optimize.compile_run import report_metrics
from personaqa.optimize.evaluation import EvalReport, evaluate_target
from personaqa.optimize.judges import JudgePanel
from personaqa.optimize.labels import file_hash, load_labelled
from personaqa.optimize.metrics import Weights
from personaqa.optimize.targets import TARGETS
from personaqa.programs.config import RunConfig
from personaqa.programs.core.atomic import atomic_write, write_json
from personaqa.programs.core.errors import InputError
from personaqa.programs.lm.build import adapter_for, build_lm, describe_lm
from personaqa.programs.recipe.build import build_program
from personaqa.programs.recipe.program_io import BASELINE, check_program_path
from personaqa.programs.run.preflight import check_services
from personaqa.programs.tracking import log as tracking_log


@dataclass
class CompareJob:
    config: RunConfig
    devset: Path
    programs: list[str]  # "baseline" or paths to compiled JSON state
    out_dir: Path
    target: str = "program"
    weights: Weights | None = None
    limit_dev: int | None = None
    mlflow: bool = True


def variant_name(spec: str) -> str:
    return BASELINE if spec == BASELINE else Path(spec).stem


def run_compare(job: CompareJob) -> list[EvalReport]:
    if job.target not in TARGETS:
        raise InputError(f"--stage {job.target}: unknown; choose one of {', '.join(TARGETS)}")
    names = [variant_name(p) for p in job.programs]
    if len(set(names)) != len(names):
        raise InputError(f"--program: variant names must differ, got {names}")
    for spec in job.programs:  # every variant is checked before any LM work
        if spec != BASELINE:
            check_program_path(Path(spec))
    dev = load_labelled(job.devset)[: job.limit_dev]
    check_services(mlflow=job.mlflow, out_dir=job.out_dir)  # before the LM probes in build_lm
    # No response cache: every variant pays for its own calls, so cost and wall time compare fairly.
    task_lm = build_lm(job.config.lm).copy(cache=False)
    panel = JudgePanel(build_lm(job.config.judge_lm).copy(cache=False) if job.config.judge_lm else task_lm)
    reports: list[EvalReport] = []
    late = tracking_log.LateLog(
        f"the compare run (outputs in {job.out_dir} are complete)",
        "rerun the command once the store is back to log it (this repeats the LM work)",
    )
    with (
        dspy.context(lm=task_lm, adapter=adapter_for(task_lm)),
        tracking_log.mlflow_run(
            "compare", job.mlflow, tags={"personaqa.command": "compare"}, late=late
        ) as run,
    ):
        if run is not None:
            tracking_log.log_params(
                {
                    "stage": job.target,
                    "devset": str(job.devset),
                    "devset_sha256": file_hash(job.devset),
                    "dev_examples": len(dev),
                    "variants": names,
                    "lm": describe_lm(job.config.lm),
                }
            )
        for spec, name in zip(job.programs, names):
            program = build_program(job.config, None if spec == BASELINE else Path(spec))
            target = TARGETS[job.target](program)
            metric = target.metric(panel, job.weights)
            reports.append(
                evaluate_target(name, target, metric, [x for e in dev for x in target.examples(e)])
            )
        _write_outputs(job.out_dir, reports)
        if run is not None:
            late(lambda: _log_compare(job, run, reports))
    return reports


def _log_compare(job: CompareJob, run, reports: list[EvalReport]) -> None:
    """A child run per variant (params and metrics), the comparison files on the parent run."""
    import mlflow

    for spec, report in zip(job.programs, reports):
        with mlflow.start_run(
            run_name=f"compare-{report.name}", nested=True, experiment_id=run.info.experiment_id
        ):
            tracking_log.log_params({"variant": report.name, "program": spec, "stage": job.target})
            tracking_log.log_metrics(report_metrics(report))
    for file in ("compare.json", "compare.csv", "compare.png"):
        tracking_log.log_file(job.out_dir / file)


def comparison_rows(reports: list[EvalReport]) -> list[dict]:
    rows = []
    for r in reports:
        row = {
            "variant": r.name,
            "examples": r.examples,
            "composite": r.composite.mean,
            "composite_low": r.composite.low,
            "composite_high": r.composite.high,
        }
        for aspect, interval in sorted(r.aspects.items()):
            row.update(
                {aspect: interval.mean, f"{aspect}_low": interval.low, f"{aspect}_high": interval.high}
            )
        row.update(
            {
                "accepted_questions": r.accepted_questions,
                "task_lm_calls": r.task_lm_calls,
                "calls_per_accepted": r.calls_per_accepted,
                "tokens_per_accepted": r.tokens_per_accepted,
                "wall_seconds": r.wall_seconds,
            }
        )
        rows.append(row)
    return rows


def _write_outputs(out_dir: Path, reports: list[EvalReport]) -> None:
    rows = comparison_rows(reports)
    write_json(out_dir / "compare.json", {"variants": rows, "per_example": {r.name: r.rows for r in reports}})
    buffer = io.StringIO()
    columns = sorted(
        {k for row in rows for k in row}, key=lambda k: list(rows[0]).index(k) if k in rows[0] else 99
    )
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    with atomic_write(out_dir / "compare.csv") as handle:
        handle.write(buffer.getvalue())
    _bar_chart(out_dir / "compare.png", reports)


def _bar_chart(path: Path, reports: list[EvalReport]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    metrics = ["composite", *sorted({a for r in reports for a in r.aspects})]
    width = 0.8 / max(1, len(reports))
    fig, ax = plt.subplots(figsize=(2 + 2 * len(metrics), 4))
    for i, report in enumerate(reports):
        intervals = [report.composite if m == "composite" else report.aspects.get(m) for m in metrics]
        means = [iv.mean if iv else 0 for iv in intervals]
        errors = np.array(
            [
                [iv.mean - iv.low if iv else 0 for iv in intervals],
                [iv.high - iv.mean if iv else 0 for iv in intervals],
            ]
        )
        ax.bar(np.arange(len(metrics)) + i * width, means, width, yerr=errors, capsize=3, label=report.name)
    ax.set_xticks(np.arange(len(metrics)) + width * (len(reports) - 1) / 2, metrics)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("dev-set score (95% CI)")
    ax.legend()
    fig.tight_layout()
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110)
    plt.close(fig)
