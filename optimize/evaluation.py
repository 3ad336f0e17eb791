"""Score a target on a dev set: per-judge and composite means with confidence intervals, and cost."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import dspy
import numpy as np
from personaqa.optimize.metrics import ASPECTS, JudgeMetric
from personaqa.programs.lm.usage import Ledger, collecting


@dataclass
class Interval:
    mean: float
    low: float
    high: float


def mean_interval(values: list[float], confidence: float = 0.95, seed: int = 0) -> Interval:
    """Mean with a bootstrap percentile interval (degenerate when there is no spread)."""
    if not values:
        return Interval(float("nan"), float("nan"), float("nan"))
    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    if len(data) < 2 or np.all(data == data[0]):
        return Interval(mean, mean, mean)
    from scipy import stats  # half a second to import: not on every command's start-up

    result = stats.bootstrap(
        (data,),
        np.mean,
        confidence_level=confidence,
        n_resamples=2000,
        method="percentile",
        random_state=seed,
    )
    return Interval(mean, float(result.confidence_interval.low), float(result.confidence_interval.high))


@dataclass
class EvalReport:
    name: str
    examples: int
    composite: Interval
    aspects: dict[str, Interval]
    accepted_questions: int
    task_lm_calls: int
    task_tokens: int
    judge_lm_calls: int
    wall_seconds: float
    rows: list[dict] = field(default_factory=list)

    @property
    def calls_per_accepted(self) -> float:
        return self.task_lm_calls / self.accepted_questions if self.accepted_questions else float("inf")

    @property
    def tokens_per_accepted(self) -> float:
        return self.task_tokens / self.accepted_questions if self.accepted_questions else float("inf")

    def summary(self) -> dict:
        data = asdict(self)
        data.pop("rows")
        data["calls_per_accepted"] = self.calls_per_accepted
        data["tokens_per_accepted"] = self.tokens_per_accepted
        return data


def evaluate_target(
    name: str, target: dspy.Module, metric: JudgeMetric, devset: list[dspy.Example]
) -> EvalReport:
    """Run `target` on every dev example and score it; task and judge usage are counted apart."""
    started = time.monotonic()
    ledger = Ledger()
    rows: list[dict] = []
    accepted = 0
    with collecting(ledger):
        for example in devset:
            try:
                prediction = target(**example.inputs())
            except Exception as exc:  # noqa: BLE001 - a failed example scores 0; the comparison goes on
                rows.append(
                    {"id": example.labelled.id, "composite": 0.0, "error": f"{type(exc).__name__}: {exc}"}
                )
                continue
            if isinstance(getattr(prediction, "usage", None), Ledger):
                ledger.merge(prediction.usage)
            scored = metric.score(example, prediction)
            accepted += len(scored.questions)
            rows.append(
                {
                    "id": example.labelled.id,
                    "composite": scored.composite,
                    **scored.aspects,
                    "questions": [q.question for q in scored.questions],
                    "feedback": scored.feedback,
                }
            )
    task = Ledger(stages={s: u for s, u in ledger.stages.items() if not s.startswith("judge_")})
    judges = Ledger(stages={s: u for s, u in ledger.stages.items() if s.startswith("judge_")})
    aspects = {a: mean_interval([r[a] for r in rows if a in r]) for a in ASPECTS if any(a in r for r in rows)}
    return EvalReport(
        name=name,
        examples=len(devset),
        composite=mean_interval([r["composite"] for r in rows]),
        aspects=aspects,
        accepted_questions=accepted,
        task_lm_calls=task.total().calls,
        task_tokens=task.total().input_tokens + task.total().output_tokens,
        judge_lm_calls=judges.total().calls,
        wall_seconds=time.monotonic() - started,
        rows=rows,
    )
