"""`personaqa compile` on a fake LM: writer and stylist stages, labeled and bootstrap optimizers,
JSON-only program state that round-trips into a fresh program and drives `personaqa generate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import BagOfWordsEmbedder, patch_run_embedder, patch_run_lms
from fakes_judges import DEV, TRAIN, JudgingEngine, fake_build_lm
from personaqa.optimize import compile_run
from personaqa.optimize.compile_run import CompileJob, run_compile
from personaqa.optimize.compiler import Budget
from personaqa.optimize.labels import load_labelled
from personaqa.programs.config import LMConfig, RunConfig
from personaqa.programs.core.errors import InputError
from personaqa.programs.core.records import Persona
from personaqa.programs.recipe.build import build_program
from personaqa.programs.recipe.program_io import load_program_state, save_program_state
from personaqa.programs.run.job import GenerationJob
from personaqa.programs.run.runner import run_generation

KEY = "sk-planted-123456"
PREDICTORS = {"writer": ["writer.write"], "stylist": ["stylist.describe", "stylist.rewrite"]}


@pytest.fixture()
def engines(monkeypatch: pytest.MonkeyPatch) -> dict[str, JudgingEngine]:
    """Fake task and judge LMs for every `build_lm` the compile and generate paths call."""
    monkeypatch.setenv("PERSONAQA_TEST_KEY", KEY)
    fakes = {"fake-task": JudgingEngine(name="task"), "fake-judge": JudgingEngine(name="judge")}
    build = fake_build_lm(fakes)
    monkeypatch.setattr(compile_run, "build_lm", build)
    patch_run_lms(monkeypatch, build)
    patch_run_embedder(monkeypatch, lambda name: BagOfWordsEmbedder())
    return fakes


def config(judge: bool = False) -> RunConfig:
    return RunConfig(
        lm=LMConfig(model="fake-task", api_key_env="PERSONAQA_TEST_KEY"),
        judge_lm=LMConfig(model="fake-judge") if judge else None,
        max_interests=1,
        max_types_per_interest=1,
    )


def job(tmp_path: Path, stage: str, optimizer: str, **changes) -> CompileJob:
    fields = {
        "config": config(),
        "trainset": TRAIN,
        "devset": DEV,
        "optimizer": optimizer,
        "out": tmp_path / "compiled.json",
        "target": stage,
        "budget": Budget(max_bootstrapped_demos=2, max_labeled_demos=2),
        "limit_train": 4,
        "limit_dev": 3,
        "mlflow": False,
    }
    fields.update(changes)
    return CompileJob(**fields)


def predictor_states(program, stage: str) -> dict[str, dict]:
    named = dict(program.named_predictors())
    return {name: named[name].dump_state() for name in PREDICTORS[stage]}


@pytest.mark.parametrize("stage", ["writer", "stylist"])
@pytest.mark.parametrize("optimizer", ["labeled", "bootstrap"])
def test_compile_saves_json_state_that_round_trips(
    tmp_path: Path, engines, stage: str, optimizer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved: list = []

    def capture(program, path, baseline=None):  # keep the compiled program object that run_compile saves
        saved.append(program)
        save_program_state(program, path, baseline)

    monkeypatch.setattr(compile_run, "save_program_state", capture)
    result = run_compile(job(tmp_path, stage, optimizer))

    out = tmp_path / "compiled.json"
    assert result.out == out and out.is_file()
    raw = out.read_bytes()
    state = json.loads(raw.decode("utf-8"))  # plain JSON: no pickle opcodes, no binary blobs
    assert not raw.startswith(b"\x80") and b"pickle" not in raw.lower()
    assert KEY.encode() not in raw and b"api_key" not in raw
    # the file holds what compiling changed: the compiled stage's predictors with demos, nothing else
    assert state and set(state) <= set(PREDICTORS[stage]) and all(entry["demos"] for entry in state.values())

    # a fresh program loads back exactly the compiled predictors' demos and instructions
    (compiled,) = saved
    expected = predictor_states(compiled, stage)
    assert any(s["demos"] for s in expected.values())
    assert state == json.loads(json.dumps({name: expected[name] for name in state}))
    fresh = build_program(config())
    assert all(not s["demos"] for s in predictor_states(fresh, stage).values())
    load_program_state(fresh, out)
    loaded = predictor_states(fresh, stage)
    assert loaded == expected
    for name in PREDICTORS[stage]:
        assert loaded[name]["demos"] == expected[name]["demos"]
        assert loaded[name]["signature"]["instructions"] == expected[name]["signature"]["instructions"]
    # saving the loaded program again, against the program as built, gives the same file content
    save_program_state(fresh, tmp_path / "again.json", baseline=build_program(config()))
    assert json.loads((tmp_path / "again.json").read_text()) == state

    # the other predictors were left as they were: not in the file, and as written once loaded
    untouched = [name for name, predictor in fresh.named_predictors() if name not in PREDICTORS[stage]]
    assert untouched and all(not dict(fresh.named_predictors())[n].demos for n in untouched)

    assert result.baseline.examples == result.compiled.examples == 3
    assert result.compiled.name == optimizer and result.baseline.name == "baseline"
    assert [a.judge for a in result.agreement] == ["relevance", "generality", "persona_fidelity"]


def test_bootstrap_keeps_only_demos_that_pass_the_judges(tmp_path: Path, engines) -> None:
    engines["fake-task"].set_judge("judge_relevance", ("no", "not in the passage"))
    engines["fake-task"].set_judge("judge_generality", ("too_general", "trivia"))
    run_compile(job(tmp_path, "writer", "bootstrap", measure_agreement=False))
    demos = json.loads((tmp_path / "compiled.json").read_text())["writer.write"]["demos"]
    assert demos and not any(d.get("augmented") for d in demos)  # only labelled demos, none bootstrapped


def test_bootstrapped_writer_demos_come_from_the_task_lm(tmp_path: Path, engines) -> None:
    engines["fake-task"].set("question", lambda text: f"Which {text.inputs['interest']} figure applies?")
    run_compile(job(tmp_path, "writer", "bootstrap", measure_agreement=False))
    demos = json.loads((tmp_path / "compiled.json").read_text())["writer.write"]["demos"]
    augmented = [d for d in demos if d.get("augmented")]
    assert len(augmented) == 2
    assert all(d["question"] == f"Which {d['interest']} figure applies?" for d in augmented)


def test_separate_judge_lm_gets_every_judge_call(tmp_path: Path, engines) -> None:
    run_compile(job(tmp_path, "writer", "bootstrap", config=config(judge=True)))
    task, judge = engines["fake-task"], engines["fake-judge"]
    assert sum(task.judge_calls.values()) == 0 and task.calls["question"] > 0
    assert sum(judge.judge_calls.values()) > 0 and judge.task_calls == 0


def test_compile_refuses_a_pickle_program(tmp_path: Path, engines) -> None:
    import pickle

    start = tmp_path / "start.pkl"
    start.write_bytes(pickle.dumps({"writer.write": {"demos": []}}))
    with pytest.raises(InputError, match="pickles are refused"):
        run_compile(job(tmp_path, "writer", "labeled", program_path=start))
    assert not (tmp_path / "compiled.json").exists()


def test_compile_refuses_a_pickle_out_path_and_unknown_stage(tmp_path: Path, engines) -> None:
    with pytest.raises(InputError, match=r"\.json"):
        run_compile(job(tmp_path, "writer", "labeled", out=tmp_path / "compiled.pkl"))
    with pytest.raises(InputError, match="unknown"):
        run_compile(job(tmp_path, "reader", "labeled"))
    assert not list(tmp_path.iterdir())


def test_compile_starts_from_a_compiled_program(tmp_path: Path, engines) -> None:
    first = tmp_path / "first.json"
    run_compile(job(tmp_path, "writer", "labeled", out=first, measure_agreement=False))
    run_compile(job(tmp_path, "stylist", "bootstrap", program_path=first, measure_agreement=False))
    state = json.loads((tmp_path / "compiled.json").read_text())
    assert (
        state["writer.write"] == json.loads(first.read_text())["writer.write"]
    )  # kept from the start program
    assert state["stylist.rewrite"]["demos"]


def _generate(tmp_path: Path, program: Path | None) -> tuple[list[dict], dict]:
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "widget.md").write_text(
        "# X widget\nThe X widget ships in March 2026 and costs 40 euros. It has a "
        "two-year warranty that covers the motor but not the battery. There is no break fee for returns.\n"
    )
    out = tmp_path / ("gen-compiled" if program else "gen-baseline")
    report = run_generation(
        GenerationJob(
            config=config(),
            doc_paths=[docs],
            out_dir=out,
            program_path=program,
            personas=[Persona(name="buyer", description="A careful buyer.")],
            show_progress=False,
            mlflow=False,
        )
    )
    questions = [json.loads(line) for line in (out / "questions.jsonl").read_text().splitlines()]
    return questions, {"report": report, "run": json.loads((out / "run.json").read_text())}


def _prompt_text(request) -> str:
    return "\n".join("".join(getattr(p, "text", "") or "" for p in m.parts) for m in request.messages)


def test_compiled_program_drives_generate(tmp_path: Path, engines) -> None:
    compiled = tmp_path / "compiled.json"
    run_compile(job(tmp_path, "writer", "labeled", measure_agreement=False))
    demo_questions = [d["question"] for d in json.loads(compiled.read_text())["writer.write"]["demos"]]
    task = engines["fake-task"]
    task.requests.clear()

    questions, info = _generate(tmp_path, compiled)

    assert len(questions) == 1 and questions[0]["question"].startswith("styled: ")
    assert info["run"]["program"] == str(compiled)
    writer_prompts = [_prompt_text(r) for k, _, r in task.requests if k == "question"]
    assert len(writer_prompts) == 1
    assert all(q in writer_prompts[0] for q in demo_questions)  # the compiled demos reach the writer prompt
    assert KEY not in (tmp_path / "gen-compiled" / "run.json").read_text()

    task.requests.clear()
    _generate(tmp_path, None)
    baseline_prompt = next(_prompt_text(r) for k, _, r in task.requests if k == "question")
    assert not any(q in baseline_prompt for q in demo_questions)


def test_generate_refuses_a_pickle_program(tmp_path: Path, engines) -> None:
    start = tmp_path / "start.pkl"
    start.write_bytes(b"\x80\x04N.")
    with pytest.raises(InputError, match="pickles are refused"):
        _generate(tmp_path, start)


def test_program_state_that_does_not_match_is_an_input_error(tmp_path: Path, engines) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"writer.write": {"demos": "not a list"}}))
    with pytest.raises(InputError):
        build_program(config(), bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        build_program(config(), broken)


def test_labeled_stylist_demos_reach_the_rewrite_prompt(tmp_path: Path, engines) -> None:
    """Regression: labelled stylist demos once lacked the output fields, so the adapter dropped them."""
    compiled = tmp_path / "compiled.json"
    run_compile(job(tmp_path, "stylist", "labeled", measure_agreement=False))
    task = engines["fake-task"]
    task.requests.clear()
    _generate(tmp_path, compiled)
    rewrite = next(_prompt_text(r) for k, _, r in task.requests if k == "styled_question")
    human_rewrites = {s.styled_question for e in load_labelled(TRAIN) for s in e.styled if s.faithful}
    demos = json.loads(compiled.read_text())["stylist.rewrite"]["demos"]
    assert demos and all(
        d["styled_question"] in human_rewrites and d["styled_question"] in rewrite for d in demos
    )
    assert all(
        set(d) <= {"question", "persona", "style", "language", "styled_question", "augmented"} for d in demos
    )
    # the demo's style is the persona's derived style, as the rewrite gets it in a run
    assert all(d["style"] and d["style"] in rewrite for d in demos)


def test_labeled_generality_filter_learns_from_the_human_labels_and_is_scored_by_agreement(tmp_path, engines):
    from personaqa.optimize.targets import GENERALITY_LABELS, GeneralityTarget, KeepAgreement

    result = run_compile(job(tmp_path, "generality", "labeled", measure_agreement=False))
    demos = json.loads(result.out.read_text())["generality.classify"]["demos"]
    labelled = {
        c.question: GENERALITY_LABELS[c.reason]
        for e in load_labelled(TRAIN)
        for c in e.candidates
        if c.reason in GENERALITY_LABELS
    }
    assert demos and all(labelled[d["question"]] == d["verdict"] for d in demos)
    # one dev example per labelled candidate that is good, too general or missing context
    dev = [x for e in load_labelled(DEV)[:3] for x in GeneralityTarget.examples(e)]
    assert result.baseline.examples == len(dev) > 3
    metric = KeepAgreement()
    example = dev[0]
    import dspy

    keep = dspy.Prediction(verdict="insightful", reason="")
    drop = dspy.Prediction(verdict="missing_context", reason="")
    assert metric(example, keep) == float(example.verdict == "insightful")
    assert metric(example, drop) == float(example.verdict != "insightful")
