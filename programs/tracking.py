"""Where MLflow runs go, decided in one place so every command logs to the same store.

`MLFLOW_TRACKING_URI` wins; otherwise a SQLite store at `./mlruns/mlflow.db` (plain
`file:` stores are deprecated in MLflow 3). Artifacts of a SQLite store live next to it.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("mlruns") / "mlflow.db"
SQLITE_PREFIX = "sqlite:///"


def tracking_uri() -> str:
    """The MLflow tracking URI to use; creates the folder of the default SQLite store."""
    uri = os.environ.get("MLFLOW_TRACKING_URI") or f"{SQLITE_PREFIX}{DEFAULT_DB.resolve()}"
    if uri.startswith(SQLITE_PREFIX):
        _sqlite_path(uri).parent.mkdir(parents=True, exist_ok=True)  # SQLite will not create folders
    return uri


def _sqlite_path(uri: str) -> Path:
    return Path(uri.removeprefix(SQLITE_PREFIX).split("?", 1)[0])


def artifact_location(uri: str) -> str | None:
    """For a SQLite store, an `artifacts/` folder beside the database; else MLflow's default."""
    if not uri.startswith(SQLITE_PREFIX):
        return None
    return (_sqlite_path(uri).parent / "artifacts").resolve().as_uri()


def experiment_id(name: str, uri: str) -> str:
    """Id of the experiment `name` in the store at `uri`, created on first use."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    return client.create_experiment(name, artifact_location=artifact_location(uri))
