"""Metric judges: structured answers → Judgement(score, label, reason); failures score 0; panel LM routing."""

from __future__ import annotations

import pytest
from fakes import Raise, lm_context
from fakes_judges import INVALID_JUDGE, JudgingEngine, make_lm
from personaqa.optimize.judges import (
    GeneralityJudge,
    Judgement,
    JudgePanel,
    PersonaFidelityJudge,
    RelevanceJudge,
)
from personaqa.optimize.metrics import Produced, Weights, score_question
from personaqa.programs.core.errors import LMUnavailableError
from personaqa.programs.core.records import Chunk, Persona

CHUNK = Chunk(chunk_id="x#c0", doc_id="x", title="X widget", text="The X widget costs 40 euros.", start=0)
PERSONA = Persona(name="buyer", description="A careful buyer.")


def judge(engine: JudgingEngine, kind: str) -> Judgement:
    with lm_context(make_lm(engine)):
        if kind == "relevance":
            return RelevanceJudge()(CHUNK, "What does the X widget cost?")
        if kind == "generality":
            return GeneralityJudge()("What does the X widget cost?")
        return PersonaFidelityJudge()(PERSONA, "What does the X widget cost?", "x widget price?")


CASES = [
    ("relevance", "judge_relevance", "yes", 1.0),
    ("relevance", "judge_relevance", "no", 0.0),
    ("generality", "judge_generality", "good", 1.0),
    ("generality", "judge_generality", "too_general", 0.0),
    ("generality", "judge_generality", "missing_context", 0.0),
    ("fidelity", "judge_fidelity", "faithful", 1.0),
    ("fidelity", "judge_fidelity", "unfaithful", 0.0),
]


@pytest.mark.parametrize(("kind", "key", "label", "score"), CASES)
def test_judge_parses_label_and_reason(kind: str, key: str, label: str, score: float) -> None:
    engine = JudgingEngine(judges={key: (label, f"because {label}")})
    assert judge(engine, kind) == Judgement(score, label, f"because {label}")
    assert engine.judge_calls == {key: 1} and engine.task_calls == 0


def test_judges_see_their_inputs() -> None:
    engine = JudgingEngine()
    judge(engine, "relevance")
    judge(engine, "fidelity")
    relevance = engine.judge_requests[0][1].inputs
    assert relevance["question"] == "What does the X widget cost?"
    assert "The X widget costs 40 euros." in relevance["passage"] and "X widget" in relevance["passage"]
    fidelity = engine.judge_requests[1][1].inputs
    assert fidelity == {
        "persona": "buyer: A careful buyer.",
        "original_question": "What does the X widget cost?",
        "rewritten_question": "x widget price?",
    }


@pytest.mark.parametrize(
    "kind,key",
    [("relevance", "judge_relevance"), ("generality", "judge_generality"), ("fidelity", "judge_fidelity")],
)
@pytest.mark.parametrize(
    "bad",
    [INVALID_JUDGE, {"reason": "r", "verdict": "yes"}, "maybe"],
    ids=["not-json", "wrong-field", "label-outside-enum"],
)
def test_invalid_answer_is_a_judge_error_not_an_exception(kind: str, key: str, bad) -> None:
    engine = JudgingEngine(judges={key: bad})
    result = judge(engine, kind)
    assert result.score == 0.0 and result.label == "judge_error"
    assert result.reason.startswith(f"{key}: ")  # the stage name, then the parse error


def test_engine_exception_is_a_judge_error() -> None:
    engine = JudgingEngine(judges={"judge_generality": Raise(ValueError("boom"))})
    result = judge(engine, "generality")
    assert (result.score, result.label) == (0.0, "judge_error")


def test_unreachable_judge_endpoint_stops_the_run() -> None:
    import dspy

    engine = JudgingEngine(judges={"judge_relevance": Raise(dspy.LMTransportError("connection refused"))})
    with pytest.raises(LMUnavailableError):
        judge(engine, "relevance")


def test_panel_runs_judges_on_judge_lm_not_task_lm() -> None:
    task, judges = JudgingEngine(name="task"), JudgingEngine(name="judge")
    panel = JudgePanel(make_lm(judges))
    item = Produced(CHUNK, PERSONA, "x widget price?", original="What does the X widget cost?")
    with lm_context(make_lm(task)):
        scored = score_question(panel, Weights(), item)
    assert scored.composite == 1.0 and set(scored.judgements) == {
        "relevance",
        "generality",
        "persona_fidelity",
    }
    assert sum(task.judge_calls.values()) == 0 and task.task_calls == 0
    assert judges.judge_calls == {"judge_relevance": 1, "judge_generality": 1, "judge_fidelity": 1}


def test_panel_without_judge_lm_uses_the_task_lm() -> None:
    task = JudgingEngine(name="task")
    panel = JudgePanel()
    with lm_context(make_lm(task)):
        score_question(panel, Weights(), Produced(CHUNK, PERSONA, "What does the X widget cost?"))
    assert task.judge_calls == {"judge_relevance": 1, "judge_generality": 1}


def test_panel_calls_stay_out_of_the_trace() -> None:
    import dspy

    judges = JudgingEngine(name="judge")
    panel = JudgePanel(make_lm(judges))
    trace: list = []
    with lm_context(make_lm(JudgingEngine())), dspy.context(trace=trace):
        score_question(panel, Weights(), Produced(CHUNK, PERSONA, "What does the X widget cost?"))
    assert trace == [] and sum(judges.judge_calls.values()) == 2


def test_panel_survives_deepcopy() -> None:
    import copy

    panel = JudgePanel()
    assert copy.deepcopy(panel) is panel
