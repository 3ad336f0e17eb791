"""Test doubles for the metric judges (optimize/judges.py) on top of `tests/fakes.ScriptedEngine`.

`ScriptedEngine` knows the pipeline's own stages; the metric judges answer other output fields
(`reason` + `answerable`, `reason` + `rating`), so `JudgingEngine` recognises those three calls
and answers them from its `judges` script, handing every other call to `ScriptedEngine`.

A judge answer is a label string, a `(label, reason)` tuple, a dict (sent verbatim),
`INVALID_JSON`, `Raise(exc)`, or a callable receiving the request's `UserText` (with `.inputs`).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dspy
from dspy.lm15 import Message, Response, TextPart, Usage
from fakes import INVALID_JSON, Raise, ScriptedEngine, UserText, _message_text, make_lm
from personaqa.programs.config import LMConfig

JUDGE_KEYS = ("judge_relevance", "judge_generality", "judge_fidelity")
JUDGE_FIELD = {"judge_relevance": "answerable", "judge_generality": "rating", "judge_fidelity": "rating"}

INVALID_JUDGE = INVALID_JSON  # a judge answer that is not JSON

DEFAULT_JUDGES: dict[str, Any] = {
    "judge_relevance": ("yes", "the passage states it"),
    "judge_generality": ("good", "specific and self-contained"),
    "judge_fidelity": ("faithful", "same need, persona's style"),
}

REPO = Path(__file__).resolve().parents[1]
TRAIN = REPO / "experiments" / "labelled" / "train.jsonl"
DEV = REPO / "experiments" / "labelled" / "dev.jsonl"


def judge_key(request: Any) -> str | None:
    """Which metric judge a request is for, or None for any other call."""
    fmt = request.config.response_format
    if not fmt or fmt.get("type") != "json_schema":
        return None
    properties = fmt["schema"]["properties"]
    names = set(properties)
    if names == {"reason", "answerable"}:
        return "judge_relevance"
    if names == {"reason", "rating"}:
        allowed = set(properties["rating"].get("enum", ()))
        if "good" in allowed:
            return "judge_generality"
        if "faithful" in allowed:
            return "judge_fidelity"
        raise AssertionError(f"unknown rating enum {allowed}")
    return None


class JudgingEngine(ScriptedEngine):
    """ScriptedEngine that also answers the metric judges; counts judge calls in `judge_calls`."""

    def __init__(
        self, answers: dict[str, Any] | None = None, judges: dict[str, Any] | None = None, **kwargs: Any
    ):
        super().__init__(answers, **kwargs)
        unknown = set(judges or {}) - set(JUDGE_KEYS)
        if unknown:
            raise ValueError(f"unknown judge keys {unknown}")
        self.judges: dict[str, Any] = {**DEFAULT_JUDGES, **(judges or {})}
        self.judge_calls: Counter[str] = Counter()
        self.judge_requests: list[tuple[str, UserText, Any]] = []

    def set_judge(self, key: str, answer: Any) -> None:
        if key not in JUDGE_KEYS:
            raise ValueError(f"unknown judge key {key!r}")
        self.judges[key] = answer

    @property
    def task_calls(self) -> int:
        return sum(self.calls.values())

    def complete(self, request: Any) -> Response:
        key = judge_key(request)
        if key is None:
            return super().complete(request)
        user = [m for m in request.messages if m.role == "user"]
        text = UserText(_message_text(user[-1]) if user else "")
        with self._lock:
            self.judge_calls[key] += 1
            self.judge_requests.append((key, text, request))
        answer = self.judges[key]
        if callable(answer):
            answer = answer(text)
        if isinstance(answer, Raise):
            raise answer.exc
        if answer is INVALID_JSON:
            body = "I think it is fine, honestly"
        elif isinstance(answer, dict):
            body = json.dumps(answer)
        else:
            label, reason = (answer, f"scripted {answer}") if isinstance(answer, str) else answer
            body = json.dumps({"reason": reason, JUDGE_FIELD[key]: label})
        return Response(
            id=None,
            model=self.name,
            message=Message.assistant([TextPart(body)]),
            finish_reason="stop",
            usage=Usage(input_tokens=self.input_tokens, output_tokens=self.output_tokens),
        )


def fake_build_lm(
    engines: dict[str, JudgingEngine],
    default: JudgingEngine | None = None,
    seen: list[LMConfig] | None = None,
) -> Callable[[LMConfig], dspy.LM]:
    """A stand-in for `personaqa.programs.lm.build.build_lm`: picks an engine by `LMConfig.model`.

    Like the real one it reads the key from `api_key_env` (failing if unset). dspy.LM refuses an
    `api_key` next to a custom engine, so the key is held by the engine (`engine.api_key`), as an
    HTTP engine would hold it; a test can then check that it never reaches logs or saved state."""

    def build(config: LMConfig) -> dspy.LM:
        if seen is not None:
            seen.append(config)
        engine = engines.get(config.model, default)
        if engine is None:
            raise AssertionError(f"no fake engine for LM {config.model!r}")
        if config.api_key_env:
            engine.api_key = os.environ[config.api_key_env]
        return dspy.LM(config.model, engine=engine, cache=False, num_retries=0)

    return build


__all__ = [
    "DEFAULT_JUDGES",
    "DEV",
    "INVALID_JUDGE",
    "JUDGE_KEYS",
    "REPO",
    "TRAIN",
    "JudgingEngine",
    "fake_build_lm",
    "judge_key",
    "make_lm",
]
