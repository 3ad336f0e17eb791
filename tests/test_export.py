"""Exports: BEIR folder, datasets.Dataset on disk, JSONL; atomic file and folder replacement."""

from __future__ import annotations

import json

import pytest
from personaqa.programs.core.atomic import atomic_directory, atomic_write, write_json, write_jsonl
from personaqa.programs.core.records import Chunk, QuestionRecord, Rejection, Verdict
from personaqa.programs.recipe.checks.evidence import Evidence
from personaqa.programs.run.export import BEIR_QUERY_FIELDS, write_beir, write_dataset, write_questions

CHUNKS = [
    Chunk(
        chunk_id="merger#c0", doc_id="merger", title="Merger", text="The break fee is 40 million.", start=0
    ),
    Chunk(chunk_id="merger#c1", doc_id="merger", title="Merger", text="The review ends in June.", start=29),
    Chunk(chunk_id="policy#c0", doc_id="policy", title="", text="Staff may work from home.", start=0),
]


def record(
    qid: str,
    chunk: Chunk,
    persona: str = "lawyer",
    qtype: str = "extractive",
    generality: Verdict | None = None,
) -> QuestionRecord:
    return QuestionRecord(
        question_id=qid,
        question=f"styled {qid}?",
        original_question=f"original {qid}?",
        persona=persona,
        interest="fees",
        question_type=qtype,
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        relevance=Verdict(label="fully", reason=f"why {qid}"),
        generality=generality,
    )


RECORDS = [
    record("q-1", CHUNKS[0], generality=Verdict(label="insightful", reason="specific")),
    record("q-2", CHUNKS[1], persona="parent", qtype="diagnostic", generality=Verdict(label="insightful")),
    record("q-3", CHUNKS[0], persona="parent", qtype="comparative"),
]


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- BEIR ---------------------------------------------------------------------------------------


def test_write_beir_layout(tmp_path):
    write_beir(tmp_path, iter(CHUNKS), RECORDS)
    beir = tmp_path / "beir"
    assert sorted(p.relative_to(beir).as_posix() for p in beir.rglob("*") if p.is_file()) == [
        "corpus.jsonl",
        "qrels/test.tsv",
        "queries.jsonl",
    ]

    corpus = read_jsonl(beir / "corpus.jsonl")
    assert [c["_id"] for c in corpus] == [c.chunk_id for c in CHUNKS]
    assert corpus[1] == {
        "_id": "merger#c1",
        "title": "Merger",
        "text": "The review ends in June.",
        "doc_id": "merger",
    }

    queries = read_jsonl(beir / "queries.jsonl")
    assert [(q["_id"], q["text"]) for q in queries] == [(r.question_id, r.question) for r in RECORDS]
    for query, rec in zip(queries, RECORDS):
        for name in BEIR_QUERY_FIELDS:
            assert query[name] == getattr(rec, name)
    assert queries[1]["persona"] == "parent" and queries[1]["question_type"] == "diagnostic"


def test_qrels_have_header_and_point_at_each_records_chunk(tmp_path):
    write_beir(tmp_path, CHUNKS, RECORDS)
    lines = (tmp_path / "beir" / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "query-id\tcorpus-id\tscore"
    rows = [line.split("\t") for line in lines[1:]]
    assert rows == [[r.question_id, r.chunk_id, "2"] for r in RECORDS]
    corpus_ids = {c["_id"] for c in read_jsonl(tmp_path / "beir" / "corpus.jsonl")}
    assert all(row[1] in corpus_ids for row in rows)


def test_write_beir_replaces_previous_folder(tmp_path):
    write_beir(tmp_path, CHUNKS, RECORDS)
    (tmp_path / "beir" / "stale.txt").write_text("old", encoding="utf-8")
    write_beir(tmp_path, CHUNKS[:1], RECORDS[:1])
    assert not (tmp_path / "beir" / "stale.txt").exists()
    assert len(read_jsonl(tmp_path / "beir" / "corpus.jsonl")) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["beir"]  # no staging or .old folders left


def test_beir_export_loads_with_beir_style_reader(tmp_path):
    """Read the folder the way BEIR's GenericDataLoader does (csv reader with header, tab-separated)."""
    import csv

    write_beir(tmp_path, CHUNKS, RECORDS)
    with (tmp_path / "beir" / "qrels" / "test.tsv").open(encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_MINIMAL)
        next(reader)
        qrels: dict[str, dict[str, int]] = {}
        for qid, cid, score in reader:
            qrels.setdefault(qid, {})[cid] = int(score)
    assert qrels == {r.question_id: {r.chunk_id: 2} for r in RECORDS}


def answered(rec: QuestionRecord, copies: list[str] = ()) -> QuestionRecord:
    """`rec` with an answer, its chunk's first sentence as evidence, and `copies` of its chunk."""
    text = next(c.text for c in CHUNKS if c.chunk_id == rec.chunk_id)
    evidence = [Evidence(chunk_id=rec.chunk_id, start=0, end=len(text), text=text)]
    return rec.model_copy(
        update={
            "answer": f"answer {rec.question_id}",
            "evidence": evidence,
            "duplicate_chunk_ids": list(copies),
        }
    )


def test_qrels_label_every_copy_and_queries_carry_answer_and_evidence(tmp_path):
    records = [answered(RECORDS[0], copies=["policy#c0"]), answered(RECORDS[1])]
    write_beir(tmp_path, CHUNKS, records)
    lines = (tmp_path / "beir" / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert lines == ["q-1\tmerger#c0\t2", "q-1\tpolicy#c0\t2", "q-2\tmerger#c1\t2"]
    queries = read_jsonl(tmp_path / "beir" / "queries.jsonl")
    assert queries[0]["answer"] == "answer q-1"
    assert queries[0]["evidence"] == [
        {"chunk_id": "merger#c0", "start": 0, "end": 28, "text": "The break fee is 40 million."}
    ]


# -- datasets -----------------------------------------------------------------------------------


def test_write_dataset_round_trips(tmp_path):
    from datasets import load_from_disk

    write_dataset(tmp_path, RECORDS)
    dataset = load_from_disk(str(tmp_path / "dataset"))
    assert len(dataset) == len(RECORDS)
    assert "relevance" not in dataset.column_names and "generality" not in dataset.column_names
    for row, rec in zip(dataset, RECORDS):
        for name in (
            "question_id",
            "question",
            "original_question",
            "persona",
            "interest",
            "question_type",
            "chunk_id",
            "doc_id",
        ):
            assert row[name] == getattr(rec, name)
        assert row["relevance_label"] == rec.relevance.label
        assert row["relevance_reason"] == rec.relevance.reason
        assert row["generality_label"] == (rec.generality.label if rec.generality else "")
        assert row["generality_reason"] == (rec.generality.reason if rec.generality else "")


def test_dataset_has_answer_and_evidence(tmp_path):
    from datasets import load_from_disk

    records = [answered(RECORDS[0], copies=["policy#c0"]), RECORDS[1]]
    write_dataset(tmp_path, records)
    dataset = load_from_disk(str(tmp_path / "dataset"))
    assert dataset["answer"] == ["answer q-1", ""]
    assert dataset["evidence"] == [[records[0].evidence[0].model_dump()], []]
    assert dataset["duplicate_chunk_ids"] == [["policy#c0"], []]


def test_write_dataset_with_no_records_has_the_same_columns(tmp_path):
    # regression: an empty dataset was saved with zero shards and load_from_disk raised IndexError
    from datasets import load_from_disk

    write_dataset(tmp_path / "full", RECORDS)
    write_dataset(tmp_path / "empty", [])
    full = load_from_disk(str(tmp_path / "full" / "dataset"))
    empty = load_from_disk(str(tmp_path / "empty" / "dataset"))
    assert len(empty) == 0
    assert sorted(empty.column_names) == sorted(full.column_names)


def test_write_questions_jsonl(tmp_path):
    rejection = Rejection(
        question_id="q-9",
        stage="dedup",
        reason="near-duplicate of q-1",
        question="dup?",
        persona="lawyer",
        chunk_id="merger#c0",
        doc_id="merger",
    )
    write_questions(tmp_path, RECORDS, [rejection])
    assert [QuestionRecord(**row) for row in read_jsonl(tmp_path / "questions.jsonl")] == RECORDS
    assert [Rejection(**row) for row in read_jsonl(tmp_path / "rejected.jsonl")] == [rejection]


# -- atomic writes ------------------------------------------------------------------------------


def test_atomic_write_replaces_file(tmp_path):
    path = tmp_path / "out" / "data.txt"
    with atomic_write(path) as handle:
        handle.write("first")
    with atomic_write(path) as handle:
        handle.write("second")
    assert path.read_text(encoding="utf-8") == "second"
    assert [p.name for p in path.parent.iterdir()] == ["data.txt"]


def test_atomic_write_keeps_old_file_when_writer_fails(tmp_path):
    path = tmp_path / "data.jsonl"
    write_jsonl(path, [{"n": 1}, {"n": 2}])
    before = path.read_bytes()

    def rows():
        yield {"n": 3}
        raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError, match="crash mid-write"):
        write_jsonl(path, rows())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["data.jsonl"], "temporary file left behind"


def test_atomic_write_of_new_file_that_fails_leaves_nothing(tmp_path):
    path = tmp_path / "new.json"
    with pytest.raises(KeyboardInterrupt), atomic_write(path) as handle:
        handle.write("{partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_binary_and_json(tmp_path):
    with atomic_write(tmp_path / "b.bin", "wb") as handle:
        handle.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    write_json(tmp_path / "d.json", {"ü": [1, 2]})
    assert json.loads((tmp_path / "d.json").read_text(encoding="utf-8")) == {"ü": [1, 2]}


def test_atomic_directory_keeps_old_folder_when_build_fails(tmp_path):
    target = tmp_path / "dataset"
    with atomic_directory(target) as staging:
        (staging / "part.txt").write_text("v1", encoding="utf-8")
    with pytest.raises(ValueError), atomic_directory(target) as staging:
        (staging / "part.txt").write_text("v2", encoding="utf-8")
        raise ValueError("boom")
    assert (target / "part.txt").read_text(encoding="utf-8") == "v1"
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]
