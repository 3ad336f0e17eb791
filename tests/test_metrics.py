"""Metrics: weighted composite, per-example scores and feedback, DSPy/GEPA metric, intervals, agreement."""

from __future__ import annotations

import math

import dspy
import pytest
from fakes import BagOfWordsEmbedder, build_program, lm_context
from fakes_judges import DEV, JudgingEngine, make_lm
from personaqa.optimize.agreement import judge_agreement
from personaqa.optimize.evaluation import Interval, evaluate_target, mean_interval
from personaqa.optimize.judges import JudgePanel
from personaqa.optimize.labels import load_labelled
from personaqa.optimize.metrics import JudgeMetric, Produced, Weights, score_example
from personaqa.optimize.targets import StylistTarget, WriterTarget
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.lm.structured_output import BoundedJSONAdapter
from pydantic import ValidationError

CHUNK = Chunk(chunk_id="x#c0", doc_id="x", title="X widget", text="The X widget costs 40 euros.", start=0)
PERSONA = Persona(name="buyer", description="A careful buyer.")


def bounded():
    """The adapter every command runs under (compile, compare); the panel only swaps the LM."""
    return dspy.context(adapter=BoundedJSONAdapter())


# -- Weights.combine ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "scores", "expected"),
    [
        ({}, {"relevance": 1, "generality": 0}, 0.5),
        ({}, {"relevance": 1, "generality": 1, "persona_fidelity": 0}, 2 / 3),
        ({"relevance": 2}, {"relevance": 1, "generality": 0}, 2 / 3),
        ({"relevance": 2}, {"relevance": 1, "generality": 0, "persona_fidelity": 0}, 0.5),
        (
            {"relevance": 3, "generality": 1, "persona_fidelity": 0.5},
            {"relevance": 0, "generality": 1, "persona_fidelity": 1},
            1.5 / 4.5,
        ),
        ({"relevance": 0}, {"relevance": 0, "generality": 1}, 1.0),  # a zero weight ignores the aspect
        ({"relevance": 0, "generality": 0}, {"relevance": 1, "generality": 1}, 0.0),  # nothing weighted → 0
        ({"persona_fidelity": 5}, {"relevance": 1, "generality": 0}, 0.5),  # absent aspects carry no weight
    ],
)
def test_weights_combine(weights: dict, scores: dict, expected: float) -> None:
    assert Weights(**weights).combine(scores) == pytest.approx(expected)


def test_weights_refuse_negative_and_unknown() -> None:
    with pytest.raises(ValidationError):
        Weights(relevance=-1)
    with pytest.raises(ValidationError):
        Weights(fluency=1)


# -- score_example --------------------------------------------------------------------------------


def _score(engine: JudgingEngine, produced: list[Produced], weights: Weights | None = None):
    with bounded():
        return score_example(
            JudgePanel(make_lm(engine)), weights or Weights(), produced, "The writer produced nothing."
        )


def test_no_produced_question_scores_zero_with_the_empty_reason() -> None:
    engine = JudgingEngine()
    result = _score(engine, [])
    assert result.composite == 0.0 and result.questions == []
    assert result.feedback == "The writer produced nothing."
    assert set(result.aspects.values()) == {0.0}
    assert sum(engine.judge_calls.values()) == 0


def test_all_passing_gives_one_and_the_all_passed_feedback() -> None:
    result = _score(JudgingEngine(), [Produced(CHUNK, PERSONA, "What does the X widget cost?")])
    assert result.composite == 1.0 and result.aspects == {"relevance": 1.0, "generality": 1.0}
    assert result.feedback == "All judges passed every question."


def test_feedback_lists_exactly_the_failed_aspects_with_reasons() -> None:
    def relevance(text):
        if "warranty" in text.inputs["question"]:
            return ("no", "the passage says nothing about a warranty")
        return ("yes", "price is stated")

    def fidelity(text):
        return ("unfaithful", "drops the product name")

    engine = JudgingEngine(
        judges={
            "judge_relevance": relevance,
            "judge_fidelity": fidelity,
            "judge_generality": ("good", "specific"),
        }
    )
    produced = [
        Produced(CHUNK, PERSONA, "How long is the X widget warranty?"),
        Produced(CHUNK, PERSONA, "price?", original="What does the X widget cost?"),
    ]
    result = _score(engine, produced)
    assert result.feedback.splitlines() == [
        (
            "'How long is the X widget warranty?': relevance failed (no): the passage says nothing about "
            "a warranty"
        ),
        "'price?': persona_fidelity failed (unfaithful): drops the product name",
    ]
    # question 1: relevance 0, generality 1 → 0.5; question 2: 1, 1, 0 → 2/3
    assert result.composite == pytest.approx((0.5 + 2 / 3) / 2)
    assert result.aspects == pytest.approx({"relevance": 0.5, "generality": 1.0, "persona_fidelity": 0.0})
    assert [q.composite for q in result.questions] == pytest.approx([0.5, 2 / 3])


def test_judge_error_counts_as_a_failure_in_feedback() -> None:
    from fakes_judges import INVALID_JUDGE

    engine = JudgingEngine(judges={"judge_generality": INVALID_JUDGE})
    result = _score(engine, [Produced(CHUNK, PERSONA, "What does the X widget cost?")])
    assert result.composite == 0.5
    assert "generality failed (judge_error): judge_generality:" in result.feedback
    assert "relevance failed" not in result.feedback


def test_weights_reach_the_composite() -> None:
    engine = JudgingEngine(judges={"judge_generality": "too_general"})
    result = _score(engine, [Produced(CHUNK, PERSONA, "What is a widget?")], Weights(relevance=3))
    assert result.composite == pytest.approx(0.75)


# -- JudgeMetric ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev() -> list:
    return load_labelled(DEV)


@pytest.fixture()
def writer() -> WriterTarget:
    return WriterTarget(build_program(BagOfWordsEmbedder()))


def test_metric_returns_a_float(writer: WriterTarget, dev: list) -> None:
    engine = JudgingEngine(judges={"judge_generality": ("missing_context", "which section?")})
    metric = JudgeMetric(writer, JudgePanel(make_lm(engine)))
    example = writer.example(dev[0])
    with lm_context(make_lm(engine)):
        prediction = writer(**example.inputs())
        value = metric(example, prediction)
    assert type(value) is float and value == 0.5


def test_metric_with_feedback_has_the_gepa_shape(writer: WriterTarget, dev: list) -> None:
    engine = JudgingEngine(judges={"judge_generality": ("missing_context", "which section?")})
    metric = JudgeMetric(writer, JudgePanel(make_lm(engine)), with_feedback=True)
    example = writer.example(dev[0])
    with lm_context(make_lm(engine)):
        prediction = writer(**example.inputs())
        result = metric(
            example, prediction, None, "write", None
        )  # GEPA: (gold, pred, trace, pred_name, pred_trace)
        keyword = metric(example, prediction, trace=None, pred_name="write", pred_trace=[])
    assert isinstance(result, dspy.Prediction)
    assert result.score == 0.5 and keyword.score == 0.5
    assert result.feedback == f"'{prediction.question}': generality failed (missing_context): which section?"


def test_metric_on_an_empty_output_scores_zero_with_the_targets_reason(dev: list) -> None:
    stylist = StylistTarget(build_program(BagOfWordsEmbedder()))
    engine = JudgingEngine()
    metric = JudgeMetric(stylist, JudgePanel(make_lm(engine)), with_feedback=True)
    with lm_context(make_lm(JudgingEngine(name="task"))):  # the example carries the persona's derived style
        example = stylist.example(dev[0])
    result = metric(example, dspy.Prediction(styled_question=""))
    assert result.score == 0.0 and result.feedback == "The stylist produced no rewrite."


def test_evaluate_target_counts_task_and_judge_calls_apart(writer: WriterTarget, dev: list) -> None:
    task, judges = JudgingEngine(name="task"), JudgingEngine(name="judge")
    metric = JudgeMetric(writer, JudgePanel(make_lm(judges)))
    devset = [writer.example(e) for e in dev[:3]]
    with lm_context(make_lm(task)):
        report = evaluate_target("baseline", writer, metric, devset)
    assert report.examples == 3 and report.accepted_questions == 3
    assert report.task_lm_calls == 3 == task.calls["question"]
    assert report.judge_lm_calls == 6 == sum(judges.judge_calls.values())
    assert report.task_tokens == 3 * (11 + 7)
    assert report.composite == Interval(1.0, 1.0, 1.0)
    assert [r["id"] for r in report.rows] == [e.id for e in dev[:3]]


# -- mean_interval ---------------------------------------------------------------------------------


def test_bootstrap_interval_contains_the_mean() -> None:
    values = [0.0, 1.0, 1.0, 0.5, 1.0, 0.0, 1.0, 1.0]
    interval = mean_interval(values)
    assert interval.mean == pytest.approx(sum(values) / len(values))
    assert 0.0 <= interval.low < interval.mean < interval.high <= 1.0
    assert mean_interval(values) == interval  # seeded: reproducible


def test_interval_is_degenerate_without_spread() -> None:
    assert mean_interval([0.5, 0.5, 0.5]) == Interval(0.5, 0.5, 0.5)
    assert mean_interval([0.7]) == Interval(0.7, 0.7, 0.7)
    empty = mean_interval([])
    assert all(math.isnan(v) for v in (empty.mean, empty.low, empty.high))


# -- judge_agreement --------------------------------------------------------------------------------


def _agreeing_engine(dev: list) -> JudgingEngine:
    """A judge that gives exactly the human label for every labelled question of the dev set."""
    relevance, generality, fidelity = {}, {}, {}
    for example in dev:
        passage = (
            f"{example.passage.title}\n\n{example.passage.text}"
            if example.passage.title
            else example.passage.text
        )
        for c in example.candidates:
            relevance[(passage, c.question)] = "no" if c.reason == "not_answerable" else "yes"
            generality[c.question] = c.reason if c.reason in ("too_general", "missing_context") else "good"
        for s in example.styled:
            fidelity[(s.question, s.styled_question)] = "faithful" if s.faithful else "unfaithful"
    return JudgingEngine(
        judges={
            "judge_relevance": lambda t: relevance[(t.inputs["passage"], t.inputs["question"])],
            "judge_generality": lambda t: generality[t.inputs["question"]],
            "judge_fidelity": lambda t: fidelity[
                (t.inputs["original_question"], t.inputs["rewritten_question"])
            ],
        }
    )


def test_agreement_is_perfect_for_a_judge_that_agrees_with_the_humans(dev: list) -> None:
    with bounded():
        rows = judge_agreement(JudgePanel(make_lm(_agreeing_engine(dev))), dev)
    assert [r.judge for r in rows] == ["relevance", "generality", "persona_fidelity"]
    for row in rows:
        assert row.n > 0 and row.accuracy == 1.0 and row.kappa == pytest.approx(1.0)
        assert row.human_positive_rate == row.judge_positive_rate
        assert 0 < row.human_positive_rate < 1


def test_agreement_of_a_judge_that_always_says_yes_has_zero_kappa(dev: list) -> None:
    engine = JudgingEngine(
        judges={"judge_relevance": "yes", "judge_generality": "good", "judge_fidelity": "faithful"}
    )
    with bounded():
        rows = judge_agreement(JudgePanel(make_lm(engine)), dev)
    for row in rows:
        assert row.kappa == 0.0 and row.judge_positive_rate == 1.0
        assert row.accuracy == pytest.approx(row.human_positive_rate)


def test_agreement_counts_only_the_labels_each_judge_can_speak_to(dev: list) -> None:
    engine = JudgingEngine()
    with bounded():
        rows = {r.judge: r for r in judge_agreement(JudgePanel(make_lm(engine)), dev)}
    good = sum(c.label == "good" for e in dev for c in e.candidates)
    assert rows["relevance"].n == good + sum(c.reason == "not_answerable" for e in dev for c in e.candidates)
    assert rows["generality"].n == good + sum(
        c.reason in ("too_general", "missing_context") for e in dev for c in e.candidates
    )
    assert rows["persona_fidelity"].n == sum(len(e.styled) for e in dev)
    assert engine.judge_calls == {
        "judge_relevance": rows["relevance"].n,
        "judge_generality": rows["generality"].n,
        "judge_fidelity": rows["persona_fidelity"].n,
    }


def test_agreement_on_a_set_without_labels_for_a_judge_is_nan(dev: list) -> None:
    only_styled = [e.model_copy(update={"candidates": []}) for e in dev[:2]]
    with bounded():
        rows = {r.judge: r for r in judge_agreement(JudgePanel(make_lm(JudgingEngine())), only_styled)}
    assert rows["relevance"].n == 0 and math.isnan(rows["relevance"].kappa)
    assert rows["persona_fidelity"].n > 0
