"""run_generation and `personaqa generate` on a scripted LM: outputs, run.json, resume, and input errors."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import dspy
import pytest
from fakes import BagOfWordsEmbedder, Raise, ScriptedEngine, make_lm, patch_run_embedder, patch_run_lms
from personaqa.programs.cli import main
from personaqa.programs.config import LMConfig, RunConfig
from personaqa.programs.core.errors import InputError, LMUnavailableError
from personaqa.programs.core.records import Persona, QuestionRecord, Rejection
from personaqa.programs.run import plan
from personaqa.programs.run.job import GenerationJob
from personaqa.programs.run.runner import run_generation

PERSONAS = [
    Persona(name="lawyer", description="A competition lawyer; formal questions."),
    Persona(name="parent", description="A busy parent; short lowercase questions."),
]
QUESTIONS = {
    "break fee": "What is the break fee in the Harbor merger?",
    "weather policy": "Does the weather affect port operations in the Harbor deal?",
    "market share": "What market share would Harbor and Vessel hold together?",
}
SECRET = "sk-test-0123456789abcdef"
FUNNEL = ("generated", "after_style", "after_relevance", "after_generality", "kept")


def relevance(text):
    return ("not", "nothing about weather") if "weather" in text.inputs["question"] else ("fully", "stated")


def generality(text):
    if "market share" in text.inputs["question"]:
        return ("missing_context", "which companies?")
    return ("insightful", "specific")


def written(text) -> str:
    """The interest's question, told apart by persona and document: a real writer asks each unit its own,
    and the run-wide dedup would otherwise keep one copy."""
    voice = (
        "stated formally for counsel review"
        if "formal" in text.inputs["persona"]
        else "quick one tonight pls"
    )
    source = "Vessel deal filing" if "Harbor" in text.inputs["passage"] else "home office rules plan"
    return f"{QUESTIONS[text.inputs['interest']][:-1]}, {voice}, {source}?"


def new_engine(**overrides) -> ScriptedEngine:
    answers = {
        "interests": list(QUESTIONS),
        "question_types": ["extractive"],
        "question": written,
        "relevance": relevance,
        "generality": generality,
    }
    answers.update(overrides)
    return ScriptedEngine(answers)


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "merger.md").write_text(
        "# Harbor merger\n\nThe break fee is 40 million euros. The review deadline is 30 June 2026. The "
        "market share of the merged ports and their weather policy are in annex B.\n",
        encoding="utf-8",
    )
    (folder / "policy.txt").write_text(
        "Staff may work from home two days a week. No break fee, market share or weather policy applies.\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def engines(monkeypatch):
    """LM model name -> scripted engine; a run's build_lm hands out a dspy.LM over the named engine."""
    table: dict[str, ScriptedEngine] = {"fake-task": new_engine()}
    built: list[str] = []

    def build_lm(config: LMConfig):
        built.append(config.model)
        return make_lm(table[config.model], config.model)

    patch_run_lms(monkeypatch, build_lm)
    patch_run_embedder(monkeypatch, lambda name: BagOfWordsEmbedder())
    monkeypatch.setattr(dspy, "cache", dspy.cache)  # run_generation reconfigures the global cache; restore it
    table["built"] = built  # type: ignore[assignment]
    return table


def make_job(docs: Path, out: Path, **config) -> GenerationJob:
    cfg = RunConfig(lm=LMConfig(model="fake-task", api_key_env="PERSONAQA_TEST_KEY"), **config)
    return GenerationJob(
        config=cfg, doc_paths=[docs], personas=PERSONAS, out_dir=out, show_progress=False, mlflow=False
    )


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- a full run ---------------------------------------------------------------------------------


def test_run_writes_all_outputs(docs, tmp_path, engines, monkeypatch):
    monkeypatch.setenv("PERSONAQA_TEST_KEY", SECRET)
    out = tmp_path / "out"
    report = run_generation(make_job(docs, out))
    engine = engines["fake-task"]

    records = [QuestionRecord(**row) for row in read_jsonl(out / "questions.jsonl")]
    rejections = [Rejection(**row) for row in read_jsonl(out / "rejected.jsonl")]
    # 2 chunks x 2 personas x 3 interests; weather fails relevance, market share fails generality
    assert len(records) == 4 and {r.interest for r in records} == {"break fee"}
    assert {(r.chunk_id, r.persona) for r in records} == {
        (c, p.name) for c in ("merger#c0", "policy#c0") for p in PERSONAS
    }
    assert sorted((r.interest, r.stage) for r in rejections) == (
        [("market share", "generality")] * 4 + [("weather policy", "relevance")] * 4
    )
    assert all(r.question.startswith("styled: ") for r in records)

    from datasets import load_from_disk

    dataset = load_from_disk(str(out / "dataset"))
    assert sorted(dataset["question_id"]) == sorted(r.question_id for r in records)

    corpus = read_jsonl(out / "beir" / "corpus.jsonl")
    assert [c["_id"] for c in corpus] == ["merger#c0", "policy#c0"]
    queries = read_jsonl(out / "beir" / "queries.jsonl")
    assert [q["_id"] for q in queries] == [r.question_id for r in records]
    qrels = (out / "beir" / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    assert qrels[0] == "query-id\tcorpus-id\tscore"
    assert sorted(qrels[1:]) == sorted(f"{r.question_id}\t{r.chunk_id}\t2" for r in records)

    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    counts = run["counts"]
    assert (counts["chunks"], counts["units"], counts["interests"]) == (2, 4, 12)
    assert {k: counts[k] for k in FUNNEL} == {
        "generated": 12,
        "after_style": 12,
        "after_relevance": 8,
        "after_generality": 4,
        "kept": 4,
    }
    assert counts["rejected_by_stage"] == {"relevance": 4, "generality": 4}
    assert report.counts == counts
    assert {stage: u["calls"] for stage, u in run["lm_usage"].items()} == dict(engine.calls_by_stage())
    # one style description per persona, one rewrite per candidate (the judges see the styled text)
    assert run["lm_usage"]["style"]["calls"] == 2 + 12
    assert run["lm_usage_total"]["calls"] == engine.total_calls
    assert run["lm_usage_this_session"]["total"]["calls"] == engine.total_calls
    assert run["lm_usage_total"]["input_tokens"] == engine.total_calls * engine.input_tokens
    assert run["lm_calls_per_kept_question"] == round(engine.total_calls / 4, 2)
    assert run["personas"] == ["lawyer", "parent"]
    assert run["lm"] == "fake-task"
    assert run["config"]["lm"]["api_key_env"] == "PERSONAQA_TEST_KEY"
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_second_run_resumes_without_lm_calls(docs, tmp_path, engines):
    out = tmp_path / "out"
    run_generation(make_job(docs, out))
    engine = engines["fake-task"]
    calls = engine.total_calls
    questions = (out / "questions.jsonl").read_bytes()
    assert calls > 0

    report = run_generation(make_job(docs, out))
    assert engine.total_calls == calls
    assert (out / "questions.jsonl").read_bytes() == questions
    assert report.usage_this_session.total().calls == 0
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["lm_usage_this_session"]["total"]["calls"] == 0
    assert run["lm_usage_total"]["calls"] == calls  # the resumed units' usage still counts


def test_parallel_workers_give_the_same_output_and_usage(docs, tmp_path, engines):
    serial = tmp_path / "serial"
    run_generation(make_job(docs, serial))
    engines["fake-task"] = engine = new_engine()
    parallel = tmp_path / "parallel"
    job = make_job(docs, parallel)
    job.workers = 3
    report = run_generation(job)
    assert (parallel / "questions.jsonl").read_bytes() == (serial / "questions.jsonl").read_bytes()
    assert (parallel / "rejected.jsonl").read_bytes() == (serial / "rejected.jsonl").read_bytes()
    assert engine.calls["writing_style"] == 2  # still once per persona with units in flight together
    usage = {stage: u.calls for stage, u in report.usage_this_session.stages.items()}
    assert usage == dict(engine.calls_by_stage())


class InFlight(ScriptedEngine):
    """A scripted engine that takes a little time per call and records how many calls overlap."""

    def __init__(self, **answers):
        super().__init__({**new_engine().answers, **answers})
        self.now = self.peak = 0
        self.count_lock = threading.Lock()

    def complete(self, request):
        with self.count_lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(0.02)
            return super().complete(request)
        finally:
            with self.count_lock:
                self.now -= 1


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_cap_calls_in_flight_and_fan_out_within_a_unit(tmp_path, engines, workers):
    """One chunk and one persona: a single unit, whose three questions are judged side by side, but
    never more than --workers calls at once; the files equal those of a one-worker run."""
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "merger.md").write_text(
        "The break fee is 40 million euros; the review deadline is in June. Market share "
        "and weather policy are unchanged.\n"
    )
    outputs = []
    for n in (1, workers):
        engines["fake-task"] = engine = InFlight()
        job = GenerationJob(
            config=make_job(folder, tmp_path).config,
            doc_paths=[folder],
            personas=PERSONAS[:1],
            out_dir=tmp_path / f"w{n}",
            workers=n,
            show_progress=False,
            mlflow=False,
        )
        run_generation(job)
        outputs.append(
            (
                (job.out_dir / "questions.jsonl").read_bytes(),
                (job.out_dir / "rejected.jsonl").read_bytes(),
                dict(engine.calls),
            )
        )
        assert engine.peak == n  # 1: one call after the other; n: the unit's questions overlap, capped at n
    assert outputs[0] == outputs[1]


def test_progress_and_summary_table_go_to_stderr(docs, tmp_path, engines, capsys):
    job = make_job(docs, tmp_path / "out")
    job.show_progress = True
    run_generation(job)
    captured = capsys.readouterr()
    assert "per persona" in captured.err and "per question type" in captured.err
    assert "lawyer" in captured.err and "extractive" in captured.err
    assert "%|" not in captured.err and "\x1b[A" not in captured.err  # no bars drawn into a non-terminal
    assert captured.out == ""


def test_interrupted_run_resumes_where_it_stopped(docs, tmp_path, engines):
    reference = tmp_path / "reference"
    run_generation(make_job(docs, reference))
    full_calls = engines["fake-task"].total_calls

    # the endpoint rejects the key from the third interests call on: the run stops mid-way
    failing = new_engine()
    seen = {"n": 0}

    def interests(text):
        seen["n"] += 1
        return Raise(dspy.LMAuthError("key revoked")) if seen["n"] >= 3 else list(QUESTIONS)

    failing.set("interests", interests)
    engines["fake-task"] = failing
    out = tmp_path / "out"
    with pytest.raises(LMUnavailableError):
        run_generation(make_job(docs, out))
    assert not (out / "questions.jsonl").exists()
    finished = len((out / ".personaqa" / "units.jsonl").read_text(encoding="utf-8").splitlines())
    assert finished == 2

    healthy = new_engine()
    engines["fake-task"] = healthy
    run_generation(make_job(docs, out))
    assert healthy.calls["interests"] == 2  # only the two unfinished units
    assert healthy.total_calls < full_calls
    assert (out / "questions.jsonl").read_bytes() == (reference / "questions.jsonl").read_bytes()
    assert (out / "rejected.jsonl").read_bytes() == (reference / "rejected.jsonl").read_bytes()


def test_judge_lm_from_config_is_used_for_judging(docs, tmp_path, engines):
    judge = ScriptedEngine({"relevance": relevance, "generality": generality})
    engines["fake-judge"] = judge
    task = engines["fake-task"]
    task.set("relevance", Raise(AssertionError("task LM judged")))
    task.set("generality", Raise(AssertionError("task LM judged")))
    out = tmp_path / "out"
    run_generation(make_job(docs, out, judge_lm=LMConfig(model="fake-judge")))
    assert task.calls["relevance"] == task.calls["generality"] == 0
    assert judge.calls["relevance"] == 12 and judge.calls["generality"] == 8
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["judge_lm"] == "fake-judge"
    assert run["counts"]["kept"] == 4


def test_limit_chunks(docs, tmp_path, engines):
    out = tmp_path / "out"
    report = run_generation(make_job(docs, out, limit_chunks=1))
    assert report.counts["chunks"] == 1 and report.counts["units"] == 2
    assert [c["_id"] for c in read_jsonl(out / "beir" / "corpus.jsonl")] == ["merger#c0"]


def test_funnel_counts_lm_errors_after_the_stages_they_passed(docs, tmp_path, engines):
    # regression: an lm_error used to count in the "generated" column only (summary.py at HEAD 9e10a59)
    engine = new_engine(generality=("insightful", "specific"))
    engine.fail("relevance", "invalid_json", when=lambda t: "weather" in t.inputs["question"])
    engine.fail("styled_question", "raise", when=lambda t: "market share" in t.inputs["question"])
    engines["fake-task"] = engine
    out = tmp_path / "out"
    run_generation(make_job(docs, out))
    counts = json.loads((out / "run.json").read_text(encoding="utf-8"))["counts"]
    assert counts["rejected_by_stage"] == {"lm_error": 8}
    # market share failed at style; weather failed at relevance (passed style)
    assert {k: counts[k] for k in FUNNEL} == {
        "generated": 12,
        "after_style": 8,
        "after_relevance": 4,
        "after_generality": 4,
        "kept": 4,
    }


# -- out dir and input errors -------------------------------------------------------------------


def test_other_config_on_same_out_dir_needs_overwrite(docs, tmp_path, engines):
    out = tmp_path / "out"
    run_generation(make_job(docs, out))
    calls = engines["fake-task"].total_calls
    with pytest.raises(InputError, match="--overwrite"):
        run_generation(make_job(docs, out, max_interests=2))
    assert engines["fake-task"].total_calls == calls

    job = make_job(docs, out, max_interests=2)
    job.overwrite = True
    report = run_generation(job)
    assert engines["fake-task"].total_calls > calls
    assert report.counts["interests"] == 8
    assert len(read_jsonl(out / "questions.jsonl")) == 4


def test_other_documents_on_same_out_dir_need_overwrite(docs, tmp_path, engines):
    out = tmp_path / "out"
    run_generation(make_job(docs, out))
    (docs / "policy.txt").write_text("Staff may work from home three days a week.\n", encoding="utf-8")
    with pytest.raises(InputError, match="other inputs or settings"):
        run_generation(make_job(docs, out))


def test_out_dir_that_is_a_file(docs, tmp_path, engines):
    out = tmp_path / "out"
    out.write_text("not a folder", encoding="utf-8")
    with pytest.raises(InputError, match="not a directory"):
        run_generation(make_job(docs, out))
    assert out.read_text(encoding="utf-8") == "not a folder"
    assert engines["fake-task"].total_calls == 0


def test_documents_without_text_fail_before_anything_is_written(tmp_path, engines):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "c.jsonl").write_text('{"id": "a", "text": "   "}\n', encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(InputError):
        run_generation(make_job(folder, out))
    assert not out.exists()


# -- command line -------------------------------------------------------------------------------


def cli(docs: Path, out: Path, *extra: str) -> list[str]:
    return [
        "generate",
        "--docs",
        str(docs),
        "--out",
        str(out),
        "--lm",
        "fake-task",
        "--quiet",
        "--no-mlflow",
        *extra,
    ]


def test_cli_missing_persona_file(docs, tmp_path, engines, capsys):
    out = tmp_path / "out"
    missing = tmp_path / "nobody.yaml"
    assert main(cli(docs, out, "--personas", str(missing))) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("personaqa: error: ")
    assert str(missing) in lines[0]
    assert captured.out == ""
    assert not out.exists()
    assert engines["fake-task"].total_calls == 0


def test_cli_invalid_setting(docs, tmp_path, engines, capsys):
    out = tmp_path / "out"
    assert main(cli(docs, out, "--limit-chunks", "0")) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("personaqa: error: ") and "limit_chunks" in line
    assert not out.exists()


def test_cli_out_dir_that_is_a_file(docs, tmp_path, engines, capsys):
    out = tmp_path / "out.txt"
    out.write_text("x", encoding="utf-8")
    assert main(cli(docs, out)) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("personaqa: error: --out ")


def test_cli_missing_program_file(docs, tmp_path, engines, capsys):
    # regression: _fingerprint read the file before it was checked, so this was a FileNotFoundError traceback
    out = tmp_path / "out"
    assert main(cli(docs, out, "--program", str(tmp_path / "compiled.json"))) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("personaqa: error: --program ")
    assert not out.exists()


def test_cli_refuses_pickled_program(docs, tmp_path, engines, capsys):
    program = tmp_path / "compiled.pkl"
    program.write_bytes(b"\x80\x04K\x01.")
    out = tmp_path / "out"
    assert main(cli(docs, out, "--program", str(program))) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("personaqa: error: --program ") and "pickle" in line
    assert not out.exists()
    assert engines["fake-task"].total_calls == 0


def test_cli_success_prints_one_summary_line(docs, tmp_path, engines, capsys):
    personas = tmp_path / "personas.yaml"
    personas.write_text("- {name: lawyer, description: formal}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(cli(docs, out, "--personas", str(personas))) == 0
    captured = capsys.readouterr()
    (line,) = captured.out.strip().splitlines()
    assert line.startswith("personaqa: 2 questions from 2 chunks")
    assert str(out) in line
    assert len(read_jsonl(out / "questions.jsonl")) == 2


def test_a_run_that_keeps_nothing_says_why_and_exits_4(docs, tmp_path, engines, capsys):
    engines["fake-task"] = new_engine(relevance=("partially", "the fee is named, not its amount"))
    out = tmp_path / "out"
    assert main(cli(docs, out, "--personas", str(write_lawyer(tmp_path)))) == 4
    err = capsys.readouterr().err.strip().splitlines()
    (line,) = [l for l in err if l.startswith("personaqa: error:")]
    assert "no question was kept; rejected at relevance 6" in line
    assert '"partially: the fee is named, not its amount"' in line and "rejected.jsonl" in line
    assert read_jsonl(out / "questions.jsonl") == [] and len(read_jsonl(out / "rejected.jsonl")) == 6


def write_lawyer(tmp_path: Path) -> Path:
    personas = tmp_path / "personas.yaml"
    personas.write_text("- {name: lawyer, description: formal}\n", encoding="utf-8")
    return personas


# -- complex (multi-chunk) questions --------------------------------------------------------------


@pytest.fixture
def overlapping_docs(tmp_path) -> Path:
    """Two documents stating two facts alike and one fact each of their own, and one that shares nothing."""
    folder = tmp_path / "overlap"
    folder.mkdir()
    (folder / "merger.md").write_text(
        "The Harbor Analytics merger with Vessel Systems is under review by the authority. "
        "The authority will decide on the Harbor Analytics merger by 18 July 2026. "
        "Vessel Systems is owed a break fee of 40 million euros if it fails.\n",
        encoding="utf-8",
    )
    (folder / "objection.md").write_text(
        "Port operators say the Harbor Analytics merger with Vessel Systems is under review now. "
        "The authority must decide on the Harbor Analytics merger by 18 July 2026 at the latest. "
        "Switching scheduling software would cost each port 2.5 million pounds.\n",
        encoding="utf-8",
    )
    (folder / "policy.md").write_text(
        "Staff may work from home two days a week with an allowance.\n", encoding="utf-8"
    )
    return folder


def both_documents(text) -> str:
    """Single-chunk questions per interest; the multi-passage writer gets no interest (its question is told
    apart by persona, as `written` does, so the run-wide dedup keeps both personas' questions)."""
    if text.inputs.get("interest") in QUESTIONS:
        return written(text)
    voice = (
        "stated formally for counsel review"
        if "formal" in text.inputs["persona"]
        else "quick one tonight pls"
    )
    if "interest" in text.inputs:  # a single-chunk question on another topic (a word of its sentence)
        return f"What does {text.inputs['interest']} cover in the filing, {voice}?"
    return f"When must the authority rule on the merger under review, {voice}?"


def test_complex_units_label_every_chunk_and_are_counted_as_groups(overlapping_docs, tmp_path, engines):
    engines["fake-task"] = new_engine(question=both_documents)
    out = tmp_path / "out"
    run_generation(make_job(overlapping_docs, out, complex_ratio=0.25, max_interests=1))
    engine = engines["fake-task"]

    records = [QuestionRecord(**row) for row in read_jsonl(out / "questions.jsonl")]
    multi = [r for r in records if r.complexity == "multi"]
    assert multi and all(r.chunk_ids == ["merger#c0", "objection#c0"] for r in multi)
    assert sorted(r.persona for r in multi) == ["lawyer", "parent"]  # one group, each persona once
    assert engine.calls["complex_relevance"] == len(multi)

    counts = json.loads((out / "run.json").read_text(encoding="utf-8"))["counts"]
    # 3 chunks x 2 personas single units; 0.25 / 0.75 x 6 = 2 group units over the one group found
    assert (counts["chunks"], counts["chunk_groups"], counts["units"]) == (3, 1, 8)
    qrels = (out / "beir" / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]
    for record in multi:
        assert {line for line in qrels if line.startswith(record.question_id + "\t")} == {
            f"{record.question_id}\tmerger#c0\t2",
            f"{record.question_id}\tobjection#c0\t2",
        }


def test_group_answered_by_one_chunk_is_rejected_not_kept(overlapping_docs, tmp_path, engines):
    engines["fake-task"] = new_engine(
        question=both_documents, complex_relevance=("fully", "passage 1 says it all", 1)
    )
    out = tmp_path / "out"
    run_generation(make_job(overlapping_docs, out, complex_ratio=0.25, max_interests=1))

    assert all(row["complexity"] == "single" for row in read_jsonl(out / "questions.jsonl"))
    rejected = [row for row in read_jsonl(out / "rejected.jsonl") if row["stage"] == "single_chunk_suffices"]
    assert len(rejected) == 2 and all(row["chunk_ids"] == ["merger#c0", "objection#c0"] for row in rejected)


def test_complex_units_pair_each_group_with_distinct_personas(docs, tmp_path, monkeypatch):
    from personaqa.programs.core.records import Chunk
    from personaqa.programs.corpus.overlap import ChunkGroup

    chunks = [Chunk(chunk_id=f"d#c{i}", doc_id="d", text=f"text {i}", start=0) for i in range(4)]
    groups = [ChunkGroup((chunks[0], chunks[1]), 0.5), ChunkGroup((chunks[2], chunks[3]), 0.4)]
    monkeypatch.setattr(plan, "find_chunk_groups", lambda *args, **kwargs: groups)
    monkeypatch.setattr(plan, "load_embedder", lambda name: BagOfWordsEmbedder())
    personas = [Persona(name=n, description="someone") for n in ("a", "b", "c")]
    job = GenerationJob(
        config=RunConfig(complex_ratio=0.9),
        doc_paths=[docs],
        personas=personas,
        out_dir=tmp_path / "out",
        show_progress=False,
        mlflow=False,
    )

    units = plan.complex_units(job, total_chunks=2)  # asks for 54 units, capped at 2 groups x 3 personas
    pairs = [(g.group_id, p.name) for g, p in units]
    assert len(pairs) == len(set(pairs)) == 6
    assert [p for _, p in pairs[:2]] == ["a", "b"]  # the first round gives the groups different personas


def test_documents_are_read_and_chunked_once_per_run(overlapping_docs, tmp_path, engines, monkeypatch):
    reads: list[object] = []
    read_documents = plan.iter_documents

    def counting(paths):
        reads.append(paths)
        return read_documents(paths)

    monkeypatch.setattr(plan, "iter_documents", counting)
    engines["fake-task"] = new_engine(question=both_documents)
    out = tmp_path / "out"
    run_generation(make_job(overlapping_docs, out, complex_ratio=0.25, max_interests=1))
    # fingerprint, chunk groups, units and the BEIR corpus all stream the chunks of one reading
    assert len(reads) == 1
    corpus = [json.loads(line)["_id"] for line in (out / "beir" / "corpus.jsonl").read_text().splitlines()]
    assert len(corpus) == 3  # every chunk, from the spool


def test_category_axes_reach_the_records_the_summary_and_the_beir_queries(docs, tmp_path, engines):
    from personaqa.programs.evaluation.scoring import breakdown_fields
    from personaqa.programs.retrieval.beir import load_beir

    axes = {
        "premise": {
            "with_premise": {"weight": 1, "instruction": "opens with the asker's situation"},
            "no_premise": {"weight": 1},
        }
    }
    out = tmp_path / "out"
    report = run_generation(make_job(docs, out, categorisations=axes))
    records = read_jsonl(out / "questions.jsonl")
    assert records and all(r["categories"]["premise"] in axes["premise"] for r in records)
    per_category = report.counts["per_category"]["premise"]
    assert sum(group["kept"] for group in per_category.values()) == len(records)
    assert sum(group["generated"] for group in per_category.values()) == report.counts["generated"]
    queries = read_jsonl(out / "beir" / "queries.jsonl")
    assert [q["premise"] for q in queries] == [r["categories"]["premise"] for r in records]
    collection = load_beir(out / "beir")
    assert "premise" in breakdown_fields({q.id: q.metadata for q in collection.queries.values()})
