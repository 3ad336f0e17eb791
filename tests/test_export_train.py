"""`personaqa export-train`: leak-free splits, mined hard negatives checked by the (fake) judge, outputs that
sentence-transformers, `datasets` and `personaqa evaluate` read, and one error line for a bad RUN_DIR."""

from __future__ import annotations

import json
from pathlib import Path

import dspy
import pytest
from fakes import BagOfWordsEmbedder, ScriptedEngine, make_lm, patch_run_embedder, patch_run_lms
from personaqa.programs.cli import main
from personaqa.programs.config import LMConfig, RunConfig
from personaqa.programs.core.records import Chunk, Evidence, PooledJudgement, QuestionRecord
from personaqa.programs.retrieval.beir import load_beir
from personaqa.programs.run.export import write_beir, write_questions
from personaqa.programs.run.splits import assign_splits, parse_shares

TOPICS = [
    "parking",
    "library",
    "swimming",
    "bicycle",
    "ferry",
    "museum",
    "tennis",
    "theatre",
    "cemetery",
    "harbour",
    "market",
    "school",
]
ALSO = "Also the general office fee for every service is 5 euros."  # the fake judge: "fully" on these


def chunk_text(i: int, topic: str) -> str:
    text = f"The {topic} fee for service {i} is {i * 10 + 7} euros per month at the city office."
    return f"{text} {ALSO}" if i % 2 else text


def make_chunks() -> list[Chunk]:
    chunks = [
        Chunk(chunk_id=f"{t}#c0", doc_id=t, title=f"{t} fees", text=chunk_text(i, t), start=0)
        for i, t in enumerate(TOPICS)
    ]
    # a second chunk of the parking document: never a negative of the parking question
    chunks.append(
        Chunk(
            chunk_id="parking#c1",
            doc_id="parking",
            title="parking fees",
            text="Parking fee refunds.",
            start=1,
        )
    )
    # the same paragraph in three files (the 2024 copy labelled by no question): the copies stay on one side
    copied = "The handbook fee for the city office is 12 euros, payable per month."
    chunks += [
        Chunk(chunk_id=f"{d}#c0", doc_id=d, title="handbook", text=copied, start=0)
        for d in ("handbook-2024", "handbook-2025", "handbook-2026")
    ]
    return chunks


def record(qid: str, chunk: Chunk, **fields) -> QuestionRecord:
    question = f"What is the {chunk.doc_id.split('-')[0]} fee per month at the city office?"
    return QuestionRecord(
        question_id=qid,
        question=question,
        original_question=question,
        persona="resident",
        interest="fee",
        question_type="extractive",
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        answer="euros",
        evidence=[Evidence(chunk_id=chunk.chunk_id, start=0, end=10, text=chunk.text[:10])],
        **fields,
    )


def make_records(chunks: list[Chunk]) -> list[QuestionRecord]:
    by_id = {c.chunk_id: c for c in chunks}
    records = [record(f"q-{t}", by_id[f"{t}#c0"]) for t in TOPICS[:10]]
    records.append(record("q-handbook", by_id["handbook-2025#c0"], duplicate_chunk_ids=["handbook-2026#c0"]))
    # pooled judging found that the market chunk answers the library question too: one side
    records[1].pooled = [PooledJudgement(chunk_id="market#c0", grade=2, verdict="fully")]
    return records


@pytest.fixture
def run_dir(tmp_path) -> Path:
    """A finished generate run as `generate` writes it (questions.jsonl, beir/, run.json)."""
    out = tmp_path / "run"
    out.mkdir()
    chunks = make_chunks()
    records = make_records(chunks)
    write_questions(out, records, [])
    write_beir(out, chunks, records)
    config = RunConfig(lm=LMConfig(model="fake-task"))
    run = {"config": config.model_dump(mode="json"), "program": None}
    (out / "run.json").write_text(json.dumps(run), encoding="utf-8")
    return out


def judge(text) -> tuple[str, str]:
    return ("fully", "5 euros") if "general office fee" in text.inputs["passage"] else ("not", "another fee")


@pytest.fixture
def engine(monkeypatch) -> ScriptedEngine:
    fake = ScriptedEngine({"relevance": judge})
    build = lambda cfg: make_lm(fake, cfg.model)
    patch_run_lms(monkeypatch, build)
    patch_run_embedder(monkeypatch, lambda name: BagOfWordsEmbedder())
    monkeypatch.setattr("personaqa.programs.run.training_set.build_lm", build)
    monkeypatch.setattr(
        "personaqa.programs.run.training_set.load_embedder", lambda name: BagOfWordsEmbedder()
    )
    monkeypatch.setattr(dspy, "cache", dspy.cache)
    return fake


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def export(run_dir: Path, out: Path, *flags: str) -> dict:
    assert main(["export-train", str(run_dir), "--out", str(out), "--quiet", *flags]) == 0
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def split_documents(out: Path) -> dict[str, set[str]]:
    """split → every document one of its rows quotes (anchor's source, positive, negative)."""
    chunks = make_chunks()
    by_passage = {f"{c.title}\n{c.text}": c.doc_id for c in chunks}
    by_question = {r.question: r.doc_id for r in make_records(chunks)}
    used: dict[str, set[str]] = {}
    for name in ("train", "dev", "test"):
        docs = used.setdefault(name, set())
        for row in read_jsonl(out / f"{name}.jsonl"):
            docs |= {by_question[row["anchor"]], by_passage[row["positive"]], by_passage[row["negative"]]}
    return used


@pytest.mark.parametrize("seed", range(6))
def test_no_document_or_copy_group_is_on_two_sides(run_dir, tmp_path, engine, seed):
    out = tmp_path / "train"
    summary = export(run_dir, out, "--no-judge", "--seed", str(seed))
    placed = {row["doc_id"]: row["split"] for row in read_jsonl(out / "documents.jsonl")}
    assert set(placed) == {c.doc_id for c in make_chunks()}
    assert placed["handbook-2024"] == placed["handbook-2025"] == placed["handbook-2026"]  # copies
    assert placed["library"] == placed["market"]  # a pooled chunk graded relevant to the library question
    used = split_documents(out)
    for name, docs in used.items():
        assert all(placed[d] == name for d in docs), (
            name,
            docs,
        )  # the handbook copies share one passage text
    test = load_beir(out / "test-beir")
    records = {r.question_id: r for r in make_records(make_chunks())}
    assert {placed[records[q].doc_id] for q in test.queries} <= {"test"}
    assert summary["splits"]["test"]["questions"] == len(test.queries) >= 1  # every share gets a group
    assert summary["splits"]["dev"]["questions"] >= 1
    assert summary["judge"].startswith("off") and engine.total_calls == 0


def test_own_chunks_and_copies_are_never_negatives(run_dir, tmp_path, engine):
    out = tmp_path / "train"
    export(run_dir, out, "--no-judge", "--depth", "20", "--negatives", "50")
    records = {r.question_id: r for r in make_records(make_chunks())}
    doc_of = {c.chunk_id: c.doc_id for c in make_chunks()}
    candidates = read_jsonl(out / "negatives.jsonl")
    assert candidates
    for candidate in candidates:
        asked = records[candidate["question_id"]]
        assert doc_of[candidate["chunk_id"]] != asked.doc_id
        assert candidate["chunk_id"] not in asked.qrels()
    handbook = [c for c in candidates if c["question_id"] == "q-handbook"]
    assert all(not c["chunk_id"].startswith("handbook") for c in handbook)
    assert all(c["chunk_id"] != "parking#c1" for c in candidates if c["question_id"] == "q-parking")


def test_a_negative_the_judge_says_answers_is_dropped_and_counted(run_dir, tmp_path, engine):
    out = tmp_path / "train"
    summary = export(run_dir, out, "--negatives", "50", "--depth", "20")
    candidates = read_jsonl(out / "negatives.jsonl")
    texts = {c.chunk_id: c.text for c in make_chunks()}
    answering = [c for c in candidates if "general office fee" in texts[c["chunk_id"]]]
    assert answering and all(c["outcome"] == "answers" and c["verdict"] == "fully" for c in answering)
    negatives = summary["negatives"]
    assert negatives["dropped_by_judge"] == negatives["answers"] == len(answering)
    assert negatives["judged"] == negatives["mined"] == len(candidates) == engine.calls["relevance"]
    assert negatives["kept"] == len(candidates) - len(answering)
    rows = [row for name in ("train", "dev", "test") for row in read_jsonl(out / f"{name}.jsonl")]
    assert len(rows) == negatives["kept"]
    assert not any("general office fee" in row["negative"] for row in rows)

    # the verdicts are checkpointed: a rerun makes no judge call and writes the same rows
    before = engine.total_calls
    again = export(run_dir, tmp_path / "again", "--negatives", "50", "--depth", "20")
    assert engine.total_calls == before
    assert again["negatives"] == negatives


def test_without_the_judge_answering_negatives_stay_and_the_summary_says_so(
    run_dir, tmp_path, engine, capsys
):
    out = tmp_path / "train"
    summary = export(run_dir, out, "--no-judge", "--negatives", "50", "--depth", "20")
    printed = capsys.readouterr().out
    assert "--no-judge" in printed and "no negative was checked" in printed
    assert summary["negatives"]["dropped_by_judge"] == 0 and engine.total_calls == 0
    rows = [row for name in ("train", "dev", "test") for row in read_jsonl(out / f"{name}.jsonl")]
    assert any("general office fee" in row["negative"] for row in rows)


def test_depth_counts_past_the_questions_own_chunks(run_dir, tmp_path, engine):
    summary = export(run_dir, tmp_path / "train", "--no-judge", "--depth", "1")
    assert summary["negatives"]["mined"] >= summary["splits"]["train"]["questions"] > 0


def test_the_dataset_loads_with_load_from_disk_and_the_negatives_cap_holds(run_dir, tmp_path, engine):
    from datasets import load_from_disk

    out = tmp_path / "train"
    summary = export(run_dir, out, "--negatives", "1")
    loaded = load_from_disk(str(out / "dataset"))
    for name in ("train", "dev", "test"):
        rows = read_jsonl(out / f"{name}.jsonl")
        assert loaded[name].column_names == ["anchor", "positive", "negative"]
        assert loaded[name].to_list() == rows
        assert len(rows) == summary["splits"][name]["rows"]
        anchors = [row["anchor"] for row in rows]
        assert len(anchors) == len(set(anchors))  # at most 1 negative per question
    assert load_from_disk(str(out / "dataset" / "train")).num_rows == summary["splits"]["train"]["rows"] > 0


def test_judge_lm_flag_overrides_the_runs_settings(run_dir, tmp_path, engine, monkeypatch):
    built = []
    judge_engine = ScriptedEngine({"relevance": judge})

    def build(cfg):
        built.append(cfg.model)
        return make_lm(judge_engine if cfg.model == "other-judge" else engine, cfg.model)

    patch_run_lms(monkeypatch, build)
    monkeypatch.setattr("personaqa.programs.run.training_set.build_lm", build)
    summary = export(run_dir, tmp_path / "train", "--judge-lm", "other-judge")
    assert summary["judge"] == "other-judge" and "other-judge" in built
    assert judge_engine.calls["relevance"] == summary["negatives"]["judged"] > 0
    assert engine.total_calls == 0


def test_json_format_prints_the_summary(run_dir, tmp_path, engine, capsys):
    out = tmp_path / "train"
    assert main(["export-train", str(run_dir), "--out", str(out), "--no-judge", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((out / "summary.json").read_text(encoding="utf-8"))


def questions_file(run: Path, text: str) -> Path:
    (run / "questions.jsonl").write_text(text, encoding="utf-8")
    return run


@pytest.mark.parametrize(
    ("make_run", "flags", "says"),
    [
        (lambda tmp, run: tmp / "missing", [], "run folder not found"),
        (lambda tmp, run: (run / "questions.jsonl").unlink() or run, [], "questions.jsonl: not found"),
        (lambda tmp, run: questions_file(run, ""), [], "no questions"),
        (lambda tmp, run: questions_file(run, '{"question": 1}\n'), [], ":1: field"),
        (lambda tmp, run: run, ["--split", "80/20"], "--split"),
        (lambda tmp, run: run, ["--depth", "0"], "--depth 0"),
    ],
)
def test_bad_input_is_one_error_line_and_nothing_written(
    run_dir, tmp_path, engine, capsys, make_run, flags, says
):
    out = tmp_path / "train"
    bad = make_run(tmp_path, run_dir)
    assert main(["export-train", str(bad), "--out", str(out), "--no-judge", *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("personaqa: error: ") and says in err[0], err
    assert not out.exists()


def test_the_test_beir_folder_keeps_the_runs_qrels_of_the_test_questions(run_dir, tmp_path, engine):
    out = tmp_path / "train"
    export(run_dir, out, "--no-judge", "--seed", "3")
    run, test = load_beir(run_dir / "beir"), load_beir(out / "test-beir")
    assert test.corpus == run.corpus  # the whole corpus: a retriever searches every document
    assert test.queries and test.qrels == {q: run.qrels[q] for q in test.queries}


def test_markdown_format_prints_a_pipe_table(run_dir, tmp_path, engine, capsys):
    out = tmp_path / "train"
    assert main(["export-train", str(run_dir), "--out", str(out), "--no-judge", "--format", "markdown"]) == 0
    printed = capsys.readouterr().out
    assert "| split | documents | chunks | questions | rows | no negative |" in printed


def test_an_out_folder_with_other_files_is_refused(run_dir, tmp_path, engine, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["export-train", str(run_dir), "--out", str(out), "--no-judge"]) == 2
    assert "not an export-train folder" in capsys.readouterr().err
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_every_split_with_a_share_gets_a_group_and_a_group_is_never_cut():
    groups = [["a"], ["b", "c"], ["d"], ["e"], ["f", "g", "h"]]
    for seed in range(10):
        assigned = assign_splits(groups, {"a", "b", "d", "e", "f"}, parse_shares("80/10/10"), seed)
        for group in groups:
            assert len({assigned.split_of_doc[d] for d in group}) == 1
        assert {assigned.split_of_doc[d] for d in "abdef"} == {"train", "dev", "test"}
    no_test = assign_splits(groups, set("abcdefgh"), parse_shares("90/10/0"), 0)
    assert "test" not in no_test.split_of_doc.values()
