"""Where MLflow runs go, decided in one place so every command logs to the same store, and the
start-up check of that store.

`MLFLOW_TRACKING_URI` wins; otherwise a SQLite store at `./mlruns/mlflow.db` (plain
`file:` stores are deprecated in MLflow 3). Artifacts of a SQLite store live next to it. The default
store's folder is created when a run is first logged there, never by the start-up check: a command that
fails, or runs with --no-mlflow, leaves no `./mlruns` behind.

MLflow's HTTP client retries a request 7 times with exponential backoff and waits 120 s for each
answer: minutes before a down server is reported. `check_store` makes one read through MLflow's own
client with no retry and a `PREFLIGHT_TIMEOUT`, so every store kind (file, sqlite, http) is checked
the same way before any LM work; logging after the work uses `LOGGING_HTTP_DEFAULTS` unless the user
set those variables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from personaqa.programs.core.errors import ServiceError

DEFAULT_DB = Path("mlruns") / "mlflow.db"
SQLITE_PREFIX = "sqlite:///"
PREFLIGHT_TIMEOUT = 10  # seconds for the one start-up request to a tracking server
LOGGING_HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}


def tracking_uri(create: bool = True) -> str:
    """The MLflow tracking URI to use; with `create`, makes the folder of a SQLite store (for logging)."""
    for name, value in LOGGING_HTTP_DEFAULTS.items():
        os.environ.setdefault(name, value)  # a server gone mid-run costs seconds, not minutes
    uri = os.environ.get("MLFLOW_TRACKING_URI") or f"{SQLITE_PREFIX}{DEFAULT_DB.resolve()}"
    if create and uri.startswith(SQLITE_PREFIX):
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


def check_store() -> None:
    """One bounded read of the tracking store through MLflow's client; a problem is a ServiceError. A SQLite
    store not created yet is checked by its folder alone, and not created here."""
    import mlflow

    uri = tracking_uri(create=False)
    if uri.startswith(SQLITE_PREFIX) and not _sqlite_path(uri).exists():
        _check_can_create(uri)
        return
    try:
        with _environment(
            MLFLOW_HTTP_REQUEST_MAX_RETRIES="0", MLFLOW_HTTP_REQUEST_TIMEOUT=str(PREFLIGHT_TIMEOUT)
        ):
            mlflow.MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
    except Exception as exc:  # noqa: BLE001 - any failure of the store is reported the same way
        raise store_error(uri, exc) from None


def _check_can_create(uri: str) -> None:
    """The SQLite file of `uri` can be created later: its nearest existing folder is a writable directory."""
    path = _sqlite_path(uri)
    existing = next((p for p in path.parents if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK):
        raise store_error(uri, OSError(f"cannot create {path.parent}: {existing} is not a writable folder"))


def store_error(uri: str, exc: Exception) -> ServiceError:
    """The one-line error for a tracking store that cannot be used, naming the setting and what to do."""
    return ServiceError(f"{_setting(uri)}: {_advice(uri, exc)}; or pass --no-mlflow")


def _setting(uri: str) -> str:
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return f"MLFLOW_TRACKING_URI={uri}"
    return f"MLflow store {uri}"


def _advice(uri: str, exc: Exception) -> str:
    if "MLFLOW_ALLOW_FILE_STORE" in str(exc):
        return (
            "the installed MLflow refuses file stores; set MLFLOW_ALLOW_FILE_STORE=true, "
            f"or use a SQLite store (MLFLOW_TRACKING_URI={SQLITE_PREFIX}{Path.cwd() / DEFAULT_DB})"
        )
    if uri.startswith(("http://", "https://")):
        return (
            f"tracking server: {failure_cause(exc, PREFLIGHT_TIMEOUT)}; start it or point "
            "MLFLOW_TRACKING_URI at a running one"
        )
    return f"cannot use this tracking store ({failure_cause(exc)}); fix MLFLOW_TRACKING_URI"


def failure_cause(exc: BaseException, timeout: float | None = None) -> str:
    """Why a store request failed, in a few words: MLflow wraps requests' errors in long messages."""
    text = str(exc)
    if "connection refused" in text.lower():
        return "connection refused, nothing listens there"
    if "timed out" in text.lower() or "no answer within" in text:
        return f"no answer within {timeout} s" if timeout else "no answer in time"
    lines = text.strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:200] if lines else ''}"


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of the block (MLflow reads them per request)."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
