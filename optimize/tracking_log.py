"""MLflow logging for compile, compare and generate runs: params, metrics, artifacts, tables, traces."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from personaqa.programs.tracking import experiment_id, tracking_uri

EXPERIMENT = "personaqa"
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
            out[name] = value if isinstance(value, (int, float, str, bool)) or value is None else json.dumps(value)
    return out


@contextmanager
def mlflow_run(run_name: str, enabled: bool = True, autolog: bool = False, tags: dict | None = None) -> Iterator[Any]:
    """An MLflow run in the personaqa experiment (yields None when logging is off)."""
    if not enabled:
        yield None
        return
    import mlflow

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    if autolog:
        mlflow.dspy.autolog(log_compiles=True, log_evals=True, log_traces_from_compile=False, silent=True)
    try:
        with mlflow.start_run(run_name=run_name, experiment_id=experiment_id(EXPERIMENT, uri), tags=tags) as run:
            yield run
    finally:
        if autolog:
            mlflow.dspy.autolog(disable=True, silent=True)


def log_params(params: dict[str, Any]) -> None:
    import mlflow

    flat = {k: ("" if v is None else str(v))[:6000] for k, v in flatten(params).items()}
    mlflow.log_params(flat)


def log_metrics(metrics: dict[str, float], prefix: str = "") -> None:
    import mlflow

    mlflow.log_metrics({f"{prefix}{k}": float(v) for k, v in metrics.items() if v == v and v is not None})


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


def run_url_hint() -> str:
    return f"mlflow ui --backend-store-uri {os.environ.get('MLFLOW_TRACKING_URI') or tracking_uri()}"
