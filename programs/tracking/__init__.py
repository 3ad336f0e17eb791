"""MLflow, below every command that logs: where runs go and the start-up check of the store (`store`), and
logging params, metrics, artifacts and tables (`log`). Generate, compile, compare, evaluate and validate all
log through here."""

from personaqa.programs.tracking.log import (
    EXPERIMENT,
    LateLog,
    flatten,
    log_file,
    log_json,
    log_metrics,
    log_params,
    log_table,
    mlflow_run,
)
from personaqa.programs.tracking.store import check_store, experiment_id, tracking_uri

__all__ = [
    "EXPERIMENT",
    "LateLog",
    "check_store",
    "experiment_id",
    "flatten",
    "log_file",
    "log_json",
    "log_metrics",
    "log_params",
    "log_table",
    "mlflow_run",
    "tracking_uri",
]
