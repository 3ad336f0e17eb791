"""One place where a stage calls its LM: usage is counted and failures are classified."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import dspy
import pydantic
from personaqa.programs.core.errors import LMUnavailableError
from personaqa.programs.lm import usage

# The endpoint itself is unusable: stop the run (it resumes later) instead of rejecting every item.
# Timeouts, 429s and 5xx reach here only after DSPy's own retries with backoff: the endpoint is down or
# overloaded for now, and stopping keeps the unit unfinished, so a resumed run retries it.
FATAL_LM_ERRORS: tuple[type[BaseException], ...] = (
    dspy.LMTransportError,
    dspy.LMAuthError,
    dspy.LMBillingError,
    dspy.LMConfigurationError,
    dspy.LMUnsupportedModelError,
    dspy.LMTimeoutError,
    dspy.LMRateLimitError,
    dspy.LMServerError,
)


class StageFailure(Exception):
    """One item's LM answer could not be used; the item is rejected with reason `lm_error`."""

    def __init__(self, stage: str, detail: str):
        super().__init__(f"{stage}: {detail}")
        self.stage = stage
        self.detail = detail


_slots: contextvars.ContextVar[threading.Semaphore | None] = contextvars.ContextVar(
    "personaqa_lm_slots", default=None
)


@contextmanager
def sharing_call_slots(slots: threading.Semaphore | None) -> Iterator[None]:
    """LM calls made inside this block wait for one of `slots`: `--workers N` means N calls in flight,
    however many units and questions are being worked on at once."""
    token = _slots.set(slots)
    try:
        yield
    finally:
        _slots.reset(token)


def call_lm(stage: str, predictor: dspy.Module, **inputs: Any) -> dspy.Prediction:
    """Run `predictor` on `inputs`, counting its LM usage under `stage`."""
    slots = _slots.get()
    with slots or nullcontext(), dspy.track_usage() as tracker:
        try:
            return predictor(**inputs)
        except FATAL_LM_ERRORS as exc:
            raise LMUnavailableError(
                f"LM endpoint unusable during stage '{stage}': {type(exc).__name__}: "
                f"{_first_line(exc)}{_hint(exc)}; the run stopped, rerun the same "
                "command to resume"
            ) from exc
        except (dspy.AdapterParseError, dspy.LMError, pydantic.ValidationError, ValueError) as exc:
            raise StageFailure(stage, f"{type(exc).__name__}: {_first_line(exc)}") from exc
        finally:
            usage.record(stage, dict(tracker.usage_data))


def _first_line(exc: BaseException) -> str:
    lines = str(exc).replace(DSPY_KEY_ADVICE, "pass --api-key-env VAR").strip().splitlines()
    return lines[0][:200] if lines else "(no message)"


DSPY_KEY_ADVICE = 'pass api_key="..." to dspy.LM(...)'  # DSPy's remedy, in its Python API's terms


def _hint(exc: BaseException) -> str:
    """What a personaqa user can change (DSPy's own advice names its Python API, not our config)."""
    if isinstance(exc, dspy.LMTimeoutError) or "timed out" in str(exc):
        return " (if the model is just slow, raise lm.timeout in --config and start afresh with --overwrite)"
    if isinstance(exc, (dspy.LMAuthError, dspy.LMNotConfiguredError)):
        return " (the endpoint wants an API key: pass --api-key-env VAR, the variable that holds it)"
    return ""
