"""MLflow logging for compile, compare and generate runs: params, metrics, artifacts, tables, traces."""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personaqa.programs.tracking.store import experiment_id, failure_cause, store_error, tracking_uri

EXPERIMENT = "personaqa"
_experiment = EXPERIMENT  # the experiment generate, compile and compare log to (`use_experiment`)
_SECRET_HINTS = ("key", "token", "secret", "password")


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dict → dotted params; values that look like secrets are dropped, not logged."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif any(h in key.lower() for h in _SECRET_HINTS) and not key.endswith("_env"):
            continue
        else:
            out[name] = (
                value if isinstance(value, (int, float, str, bool)) or value is None else json.dumps(value)
            )
    return out


@dataclass
class LateLog:
    """Logging after a command's work, when its outputs are written: an MLflow failure (the server went
    away mid-run) is one `personaqa: warning:` line saying what was not logged and how to log it later,
    never a traceback or a failed exit status. After a failure, further logging is tried silently (to
    close the run), so the user reads one line."""

    what: str  # e.g. "the generate run (outputs in out/x are complete)"
    later: str  # how to log it once the store is back
    failed: bool = False

    def __call__(self, log: Callable[[], object]) -> None:
        try:
            log()
        except Exception as exc:  # noqa: BLE001 - any store failure: the outputs stay, the exit status is 0
            if not self.failed:
                print(
                    f"personaqa: warning: MLflow logging failed ({failure_cause(exc)}); {self.what} "
                    f"not logged; {self.later}",
                    file=sys.stderr,
                )
            self.failed = True


@contextmanager
def mlflow_run(
    run_name: str,
    enabled: bool = True,
    autolog: bool = False,
    tags: dict | None = None,
    late: LateLog | None = None,
) -> Iterator[Any]:
    """An MLflow run in the experiment set by `use_experiment` (default personaqa; yields None when logging
    is off). With `late`, ending the run after the work goes through it: a store gone by then is a warning,
    not an error."""
    if not enabled:
        yield None
        return
    import mlflow

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    if autolog:
        mlflow.dspy.autolog(log_compiles=True, log_evals=True, log_traces_from_compile=False, silent=True)
    try:
        run = _start_run(run_name, uri, tags)
        try:
            yield run
        except BaseException:
            with suppress(Exception):  # the work's own error is the one to show
                mlflow.end_run("FAILED")
            raise
        (late or _call)(mlflow.end_run)
    finally:
        if autolog:
            mlflow.dspy.autolog(disable=True, silent=True)


def use_experiment(name: str) -> None:
    """Log this process's later `mlflow_run`s to the experiment `name` (the `--experiment` flag)."""
    global _experiment
    _experiment = name


def _start_run(run_name: str, uri: str, tags: dict | None) -> Any:
    import mlflow

    try:
        return mlflow.start_run(run_name=run_name, experiment_id=experiment_id(_experiment, uri), tags=tags)
    except Exception as exc:  # noqa: BLE001 - the store went away since the start-up check
        raise store_error(uri, exc) from None


def _call(log: Callable[[], object]) -> None:
    log()


def log_params(params: dict[str, Any]) -> None:
    import mlflow

    flat = {k: ("" if v is None else str(v))[:6000] for k, v in flatten(params).items()}
    mlflow.log_params(flat)


def log_metrics(metrics: dict[str, float], prefix: str = "") -> None:
    import mlflow

    mlflow.log_metrics(
        {f"{prefix}{k}": float(v) for k, v in metrics.items() if v is not None and not math.isnan(float(v))}
    )


def log_json(name: str, data: Any) -> None:
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        mlflow.log_artifact(str(path))


def log_file(path: Path, artifact_path: str | None = None) -> None:
    import mlflow

    if path.exists():
        mlflow.log_artifact(str(path), artifact_path=artifact_path)


def log_table(name: str, rows: list[dict[str, Any]]) -> None:
    """A table a person can browse in the MLflow UI (Artifacts / evaluation tab)."""
    import mlflow

    if rows:
        columns = {key: [str(row.get(key, "")) for row in rows] for key in rows[0]}
        mlflow.log_table(data=columns, artifact_file=name)


def log_evaluation_dataset(name: str, path: Path, batch: int = 500) -> None:
    """The records of a JSONL file (`inputs`, `expectations`, `tags` per line) as an MLflow GenAI evaluation
    dataset of the active run's experiment, linked to the run as its input (context `evaluation`): what
    `mlflow.genai.evaluate(data=mlflow.genai.datasets.get_dataset(dataset_id))` scores. Nothing when the file
    is empty."""
    import mlflow
    from mlflow.genai.datasets import create_dataset

    dataset = None
    for rows in _jsonl_batches(path, batch):
        if dataset is None:
            dataset = create_dataset(name=name, experiment_id=mlflow.active_run().info.experiment_id)
        dataset.merge_records(rows)
    if dataset is not None:
        mlflow.log_input(dataset, context="evaluation")


def _jsonl_batches(path: Path, size: int) -> Iterator[list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            rows.append(json.loads(line))
            if len(rows) >= size:
                yield rows
                rows = []
    if rows:
        yield rows


def run_url_hint() -> str:
    return f"mlflow ui --backend-store-uri {os.environ.get('MLFLOW_TRACKING_URI') or tracking_uri()}"
