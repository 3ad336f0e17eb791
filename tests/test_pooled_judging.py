"""Pooled judging (--pool-depth): pools, grades, graded qrels and nDCG, resume without repeated calls."""

from __future__ import annotations

import json
import time
from pathlib import Path

import dspy
import pytest
from fakes import BagOfWordsEmbedder, Raise, ScriptedEngine, make_lm, patch_run_embedder, patch_run_lms
from personaqa.programs.cli import main
from personaqa.programs.config import LMConfig, RunConfig
from personaqa.programs.core.errors import LMUnavailableError
from personaqa.programs.core.records import Chunk, Persona, QuestionRecord, Verdict
from personaqa.programs.evaluation.scoring import evaluate_runs
from personaqa.programs.recipe.filters import RelevanceVerdict
from personaqa.programs.retrieval.beir import load_beir
from personaqa.programs.run.job import GenerationJob
from personaqa.programs.run.pooled_judging import PoolQuestion, graded, pools
from personaqa.programs.run.runner import run_generation

PERSONA = Persona(name="analyst", description="A deal analyst; precise questions.")
DOCS = {
    "merger.md": "The Harbor merger break fee is 40 million euros. The review ends on 30 June 2026.",
    "summary.txt": "Deal summary: the Harbor break fee is 40 million euros, payable at signing.",
    "notes.txt": "Board notes: the Harbor merger break fee was discussed at length, no figure agreed.",
    "policy.txt": "Staff may work from home two days a week under the remote work policy.",
}
CHUNKS = [
    Chunk(chunk_id=f"{name.split('.')[0]}#c0", doc_id=name.split(".")[0], text=text, start=0)
    for name, text in DOCS.items()
]


def question(text) -> str:
    """Each unit asks about the break fee in its own words (else the run-wide dedup keeps one)."""
    passage = text.inputs["passage"]
    if "Deal summary" in passage:
        return "What Harbor break fee is payable at signing?"
    if "Board notes" in passage:
        return "Was a Harbor break fee figure agreed by the board?"
    return "What is the Harbor merger break fee?"


def relevance(text):
    """fully where the passage gives the figure, partially where it names the fee only, else not."""
    passage, asked = text.inputs["passage"], text.inputs["question"]
    if "break fee" not in passage or "fee" not in asked:
        return ("not", "the passage is about something else")
    if "agreed" in asked:  # the board-notes question: only the notes answer it
        return ("fully", "no figure agreed") if "agreed" in passage else ("partially", "not the vote")
    return ("fully", "40 million euros") if "40 million" in passage else ("partially", "not the amount")


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def engines(monkeypatch):
    answers = {"interests": ["break fee"], "question": question, "relevance": relevance}
    table = {"fake-task": ScriptedEngine(answers)}
    patch_run_lms(monkeypatch, lambda cfg: make_lm(table[cfg.model], cfg.model))
    patch_run_embedder(monkeypatch, lambda name: BagOfWordsEmbedder())
    monkeypatch.setattr(dspy, "cache", dspy.cache)
    return table


DEPTH = 4  # dense ranks every chunk of this four-chunk corpus: each question pools the three others


def make_job(docs: Path, out: Path, **config) -> GenerationJob:
    return GenerationJob(
        config=RunConfig(lm=LMConfig(model="fake-task"), **config),
        doc_paths=[docs],
        personas=[PERSONA],
        out_dir=out,
        show_progress=False,
        mlflow=False,
    )


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def qrels_of(out: Path) -> dict[str, dict[str, int]]:
    return load_beir(out / "beir").qrels


# -- pools and grades ---------------------------------------------------------------------------


def test_pool_is_both_top_k_lists_without_the_labelled_chunks(tmp_path):
    asked = PoolQuestion("q", "What is the Harbor merger break fee?", frozenset({"merger#c0"}))
    found = pools([asked], CHUNKS, 2, BagOfWordsEmbedder(), tmp_path / "beir")["q"]
    # BM25 and dense both rank the merger chunk first (left out, it is the question's own) and another
    # break-fee chunk second; nothing about remote work makes either top 2
    assert "merger#c0" not in found and "policy#c0" not in found
    assert found and set(found) <= {"summary#c0", "notes#c0"}
    assert all(set(names) <= {"bm25", "dense"} and names for names in found.values())
    everything = pools([asked], CHUNKS, 10, BagOfWordsEmbedder(), tmp_path / "beir")["q"]
    assert set(everything) == {"summary#c0", "notes#c0", "policy#c0"}  # depth above the corpus: all others


ASKED = "What Harbor break fee is payable?"


def verdict(label: str, answer: str, sentences: list[int]) -> RelevanceVerdict:
    return RelevanceVerdict(Verdict(label=label, reason=answer), answer, sentences)


@pytest.mark.parametrize(
    ("label", "answer", "grade"),
    [
        ("fully", "40 million euros", 2),
        ("partially", "the amount, not when it is paid", 1),  # a partial answer may say what is missing
        ("not", "nothing about that", 0),
    ],
)
def test_grades_follow_the_verdict_with_the_cited_sentences_as_evidence(label, answer, grade):
    summary = CHUNKS[1]  # one sentence
    judged = graded(verdict(label, answer, [1]), summary, ["bm25"], ASKED)
    assert (judged.grade, judged.verdict, judged.answer) == (grade, label, answer)
    assert judged.retrievers == ["bm25"]
    assert [e.text for e in judged.evidence] == ([summary.text] if grade else [])


def test_a_right_answer_citing_the_wrong_sentence_gets_the_sentence_that_holds_it():
    merger = CHUNKS[0]  # two sentences: the fee, then the review date
    judged = graded(verdict("fully", "40 million euros", [2]), merger, ["bm25"], ASKED)
    assert judged.grade == 2
    assert [e.text for e in judged.evidence] == ["The Harbor merger break fee is 40 million euros."]


@pytest.mark.parametrize(
    ("label", "answer", "sentences", "why"),
    [
        ("fully", "99 million dollars", [1], "the answer's 99 is not in the cited sentences"),
        ("fully", "payable in shares", [1], "content words"),
        ("fully", "7 percent", [], "cites no sentence"),  # and no sentence of the chunk holds it
        ("partially", "the amount only", [7], "cites no sentence"),  # out of range: nothing cited
    ],
)
def test_a_relevant_verdict_whose_citation_fails_the_evidence_check_is_grade_0(label, answer, sentences, why):
    judged = graded(verdict(label, answer, sentences), CHUNKS[1], ["dense"], ASKED)
    assert (judged.grade, judged.verdict, judged.evidence) == (0, label, [])
    assert why in judged.reason


def test_evidence_about_something_else_is_grade_0():
    """Seen on CISI with the 1.5B judge: "fully", its answer copied from a sentence of an unrelated chunk."""
    policy = CHUNKS[3]
    answer = "Staff may work from home two days a week"
    judged = graded(verdict("fully", answer, [1]), policy, ["dense"], ASKED)
    assert judged.grade == 0 and "0% of the question's content words" in judged.reason
    on_topic = graded(
        verdict("fully", answer, [1]), policy, ["dense"], "How many days may staff work from home?"
    )
    assert on_topic.grade == 2


def test_record_qrels_keep_the_source_at_grade_2_and_leave_unjudged_chunks_out():
    from personaqa.programs.core.records import PooledJudgement

    record = QuestionRecord(
        question_id="q",
        question="q?",
        original_question="q?",
        persona="p",
        interest="i",
        question_type="extractive",
        chunk_id="a",
        doc_id="d",
        duplicate_chunk_ids=["a2"],
        pooled=[
            PooledJudgement(chunk_id="b", grade=1, verdict="partially"),
            PooledJudgement(chunk_id="c", grade=0, verdict="not"),
            PooledJudgement(chunk_id="d", grade=None, verdict="lm_error", reason="ValueError"),
        ],
    )
    assert record.qrels() == {"a": 2, "a2": 2, "b": 1, "c": 0}


# -- a run with --pool-depth ----------------------------------------------------------------------


def test_pooled_run_grades_other_chunks_and_evaluate_scores_graded_ndcg(docs, tmp_path, engines):
    out = tmp_path / "out"
    report = run_generation(make_job(docs, out, pool_depth=DEPTH))
    engine = engines["fake-task"]
    records = {r["chunk_id"]: QuestionRecord(**r) for r in read_jsonl(out / "questions.jsonl")}
    assert set(records) == {"merger#c0", "summary#c0", "notes#c0"}  # policy: no break fee, no interest

    merger = records["merger#c0"]
    grades = {j.chunk_id: j.grade for j in merger.pooled}
    assert grades == {"summary#c0": 2, "notes#c0": 1, "policy#c0": 0}
    summary_judged = next(j for j in merger.pooled if j.chunk_id == "summary#c0")
    assert [(e.chunk_id, e.text) for e in summary_judged.evidence] == [("summary#c0", CHUNKS[1].text)]
    # the fake judge: sentence 1's start
    assert summary_judged.answer == "Deal summary: the Harbor break fee is 40"
    assert {j.chunk_id: j.grade for j in records["notes#c0"].pooled} == {
        "merger#c0": 1,
        "summary#c0": 1,
        "policy#c0": 0,
    }

    qrels = qrels_of(out)
    assert qrels[merger.question_id] == {"merger#c0": 2, "summary#c0": 2, "notes#c0": 1, "policy#c0": 0}
    # a ranking that puts the answering copy first scores nDCG 1.0 on the pooled qrels only
    order = ["summary#c0", "merger#c0", "notes#c0", "policy#c0"]
    ranking = {merger.question_id: [(c, 1.0 / (i + 1)) for i, c in enumerate(order)]}
    pooled_ndcg = evaluate_runs({merger.question_id: qrels[merger.question_id]}, {"r": ranking}, [10])
    source_only = evaluate_runs({merger.question_id: {"merger#c0": 2}}, {"r": ranking}, [10])
    assert pooled_ndcg.scores_of("r").overall["ndcg@10"] == pytest.approx(1.0)
    assert source_only.scores_of("r").overall["ndcg@10"] < 0.7

    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    judged = sum(len(r.pooled) for r in records.values())
    assert run["counts"]["pooled"] == report.counts["pooled"]
    assert run["counts"]["pooled"] | {"extra_relevant_per_question": 0} == {
        "depth": DEPTH,
        "questions": 3,
        "judged": judged,
        "grade_2": 2,
        "grade_1": 4,
        "grade_0": 3,
        "unjudged": 0,
        "extra_relevant_per_question": 0,
    }
    assert run["counts"]["pooled"]["extra_relevant_per_question"] == 2.0
    assert run["lm_usage"]["pool"]["calls"] == judged == 9
    assert run["lm_usage_total"]["calls"] == engine.total_calls
    assert engine.calls["relevance"] == 4 + judged  # the 4 units' own verdicts, then one per pooled chunk


def test_parallel_judge_calls_give_the_same_files(docs, tmp_path, engines):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    run_generation(make_job(docs, serial, pool_depth=DEPTH))
    answers = engines["fake-task"].answers

    def late_first_unit(text):  # the first unit writes last: later units finish before it
        if "merger break fee is 40" in text.inputs["passage"]:
            time.sleep(0.5)
        return answers["question"](text)

    engines["fake-task"] = engine = ScriptedEngine({**answers, "question": late_first_unit})
    job = make_job(docs, parallel, pool_depth=DEPTH)
    job.workers = 3
    report = run_generation(job)
    for name in ("questions.jsonl", "beir/qrels/test.tsv"):
        assert (parallel / name).read_bytes() == (serial / name).read_bytes(), name
    assert report.usage_this_session.stages["pool"].calls == 9 == engine.calls["relevance"] - 4  # 4 units


def test_without_pool_depth_nothing_is_pooled(docs, tmp_path, engines):
    out = tmp_path / "out"
    run_generation(make_job(docs, out))
    assert all(r["pooled"] == [] for r in read_jsonl(out / "questions.jsonl"))
    assert all(set(grades.values()) == {2} for grades in qrels_of(out).values())
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert "pooled" not in run["counts"] and "pool" not in run["lm_usage"]


def test_pooling_a_finished_run_makes_only_the_judge_calls(docs, tmp_path, engines):
    out = tmp_path / "out"
    run_generation(make_job(docs, out))
    unpooled = engines["fake-task"].total_calls
    reference = tmp_path / "reference"
    engines["fake-task"] = fresh = ScriptedEngine(engines["fake-task"].answers)
    run_generation(make_job(docs, reference, pool_depth=DEPTH))

    engines["fake-task"] = later = ScriptedEngine(fresh.answers)
    # the same --out with --pool-depth added: resumes (no "other settings" refusal), judges the pools only
    report = run_generation(make_job(docs, out, pool_depth=DEPTH))
    assert later.total_calls == later.calls["relevance"] == fresh.total_calls - unpooled == 9
    assert report.usage_this_session.stages["pool"].calls == 9
    assert (out / "questions.jsonl").read_bytes() == (reference / "questions.jsonl").read_bytes()

    engines["fake-task"] = again = ScriptedEngine(fresh.answers)
    run_generation(make_job(docs, out, pool_depth=DEPTH))
    assert again.total_calls == 0


def test_a_stopped_pooling_resumes_without_repeating_finished_judge_calls(docs, tmp_path, engines):
    reference = tmp_path / "reference"
    run_generation(make_job(docs, reference, pool_depth=DEPTH))

    failing = ScriptedEngine(engines["fake-task"].answers)

    def relevance_then_down(text):
        if failing.calls["relevance"] > 4 + 4:  # the units' 4 verdicts, then 4 pooled ones succeed
            return Raise(dspy.LMTransportError("connection refused"))
        return relevance(text)

    failing.set("relevance", relevance_then_down)
    engines["fake-task"] = failing
    out = tmp_path / "out"
    with pytest.raises(LMUnavailableError):
        run_generation(make_job(docs, out, pool_depth=DEPTH))
    assert not (out / "questions.jsonl").exists()
    assert len(read_jsonl(out / ".personaqa" / "pool.jsonl")) == 4

    engines["fake-task"] = healthy = ScriptedEngine(failing.answers | {"relevance": relevance})
    run_generation(make_job(docs, out, pool_depth=DEPTH))
    assert healthy.total_calls == healthy.calls["relevance"] == 9 - 4  # only the unfinished judgements
    for name in ("questions.jsonl", "rejected.jsonl", "beir/qrels/test.tsv"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


def test_a_judge_answer_that_cannot_be_used_leaves_the_chunk_unjudged(docs, tmp_path, engines):
    engine = engines["fake-task"]
    engine.fail(
        "relevance", "invalid_json", when=lambda t: "Staff may" in t.inputs["passage"]
    )  # the policy chunk, pooled only
    out = tmp_path / "out"
    report = run_generation(make_job(docs, out, pool_depth=DEPTH))
    merger = next(r for r in read_jsonl(out / "questions.jsonl") if r["chunk_id"] == "merger#c0")
    failed = next(j for j in merger["pooled"] if j["chunk_id"] == "policy#c0")
    assert failed["grade"] is None and failed["verdict"] == "lm_error" and failed["reason"]
    assert "policy#c0" not in qrels_of(out)[merger["question_id"]]
    assert report.counts["pooled"]["unjudged"] == 3


def test_pooled_judging_runs_on_the_judge_lm(docs, tmp_path, engines):
    engines["fake-judge"] = judge = ScriptedEngine({"relevance": relevance})
    engines["fake-task"].set("relevance", Raise(AssertionError("the task LM judged")))
    out = tmp_path / "out"
    run_generation(make_job(docs, out, pool_depth=DEPTH, judge_lm=LMConfig(model="fake-judge")))
    assert judge.calls["relevance"] == 4 + 9 and engines["fake-task"].calls["relevance"] == 0


def test_cli_pool_depth_flag(docs, tmp_path, engines, capsys):
    out = tmp_path / "out"
    personas = tmp_path / "personas.yaml"
    personas.write_text(f"- name: {PERSONA.name}\n  description: {PERSONA.description}\n", encoding="utf-8")
    code = main(
        [
            "generate",
            "--docs",
            str(docs),
            "--personas",
            str(personas),
            "--out",
            str(out),
            "--lm",
            "fake-task",
            "--pool-depth",
            str(DEPTH),
            "--quiet",
            "--no-mlflow",
            "--program",
            "baseline",
        ]
    )
    assert code == 0
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["config"]["pool_depth"] == DEPTH and run["counts"]["pooled"]["judged"] == 9
    assert "pooled judging" in capsys.readouterr().out
    assert main(["generate", "--out", str(tmp_path / "bad"), "--pool-depth", "-1"]) == 2
