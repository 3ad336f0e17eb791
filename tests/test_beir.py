"""Reading BEIR folders: typed objects, metadata kept, one-line errors with file:line and field."""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
from personaqa.programs.core.errors import InputError
from personaqa.programs.retrieval.beir import CorpusDoc, load_beir

DOCS = [
    {"_id": "d1", "title": "Cats", "text": "Cats purr.", "url": "https://example.org/cats"},
    {"_id": "d2", "text": "No title here."},
]
QUERIES = [
    {"_id": "q1", "text": "why do cats purr", "persona": "child", "complexity": 1},
    {"_id": "q2", "text": "untitled docs", "metadata": {"question_type": "what"}},
    {"_id": "q3", "text": "judged not relevant only"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\nq3\td1\t0\n"


def write_beir(root: Path, docs=DOCS, queries=QUERIES, qrels=QRELS) -> Path:
    (root / "qrels").mkdir(parents=True, exist_ok=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (root / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (root / "qrels" / "test.tsv").write_text(qrels)
    return root


def test_reads_typed_collection(tmp_path: Path) -> None:
    collection = load_beir(write_beir(tmp_path))
    assert collection.corpus["d1"] == CorpusDoc(
        "d1", "Cats", "Cats purr.", {"url": "https://example.org/cats"}
    )
    assert collection.corpus["d2"].title == ""
    assert collection.corpus["d2"].full_text == "No title here."
    assert collection.queries["q1"].metadata == {"persona": "child", "complexity": "1"}
    assert collection.queries["q2"].metadata == {"question_type": "what"}  # nested BEIR metadata flattened
    assert collection.qrels == {"q1": {"d1": 1}, "q2": {"d2": 2}, "q3": {"d1": 0}}
    assert [q.id for q in collection.judged_queries()] == ["q1", "q2"]


def test_header_line_is_optional_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    collection = load_beir(write_beir(tmp_path, qrels="q1\td1\t1\n\nq2\td2\t1\n"))
    assert collection.qrels == {"q1": {"d1": 1}, "q2": {"d2": 1}}


def test_other_split(tmp_path: Path) -> None:
    write_beir(tmp_path)
    (tmp_path / "qrels" / "dev.tsv").write_text("q1\td2\t1\n")
    assert load_beir(tmp_path, split="dev").qrels == {"q1": {"d2": 1}}


def _error(tmp_path: Path, **files) -> str:
    with pytest.raises(InputError) as info:
        load_beir(write_beir(tmp_path, **files))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_folder_and_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="dataset folder not found"):
        load_beir(tmp_path / "nope")
    write_beir(tmp_path)
    (tmp_path / "queries.jsonl").unlink()
    with pytest.raises(InputError, match=r"queries\.jsonl: file not found"):
        load_beir(tmp_path)


def test_missing_split_lists_found_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"dev\.tsv: qrels file not found \(found splits: test\)"):
        load_beir(write_beir(tmp_path), split="dev")


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    write_beir(tmp_path)
    with (tmp_path / "corpus.jsonl").open("a") as handle:
        handle.write("{not json\n")
    with pytest.raises(InputError, match=r"corpus\.jsonl:3: malformed JSON"):
        load_beir(tmp_path)


@pytest.mark.parametrize(
    ("docs", "expected"),
    [
        ([{"title": "x", "text": "y"}], r"corpus\.jsonl:1: missing field '_id'"),
        ([{"_id": "d1", "title": "x"}], r"corpus\.jsonl:1: missing field 'text'"),
        ([{"_id": "d1", "text": ["y"]}], r"corpus\.jsonl:1: field 'text' must be a string"),
        ([{"_id": "d1", "text": "a"}, {"_id": "d1", "text": "b"}], r"corpus\.jsonl:2: duplicate _id 'd1'"),
        ([["not", "an", "object"]], r"corpus\.jsonl:1: expected a JSON object"),
    ],
)
def test_malformed_corpus_lines(tmp_path: Path, docs, expected) -> None:
    import re

    assert re.search(expected, _error(tmp_path, docs=docs, qrels="q1\td1\t1\n"))


@pytest.mark.parametrize(
    ("qrels", "expected"),
    [
        ("query-id\tcorpus-id\tscore\nq1\td1\n", r"test\.tsv:2: expected 3 tab-separated fields"),
        ("q1\td1\thigh\n", r"test\.tsv:1: field 'score' must be an integer, got 'high'"),
        ("q9\td1\t1\n", r"test\.tsv:1: query-id 'q9' is not in queries\.jsonl"),
        ("q1\td9\t1\n", r"test\.tsv:1: corpus-id 'd9' is not in corpus\.jsonl"),
        ("query-id\tcorpus-id\tscore\n", r"test\.tsv: no judgements"),
    ],
)
def test_malformed_qrels(tmp_path: Path, qrels: str, expected: str) -> None:
    import re

    assert re.search(expected, _error(tmp_path, qrels=qrels))


def test_null_title_and_text_read_as_empty_missing_text_is_an_error(tmp_path: Path) -> None:
    docs = [{"_id": "d1", "title": None, "text": None}, {"_id": "d2", "text": "x"}]
    collection = load_beir(write_beir(tmp_path, docs=docs, qrels="q1\td2\t1\n"))
    assert collection.corpus["d1"] == CorpusDoc("d1", "", "")
    pyserini_style = [{"_id": "d1", "contents": "x"}]
    assert "missing field 'text'" in _error(tmp_path / "b", docs=pyserini_style, qrels="q1\td1\t1\n")


def test_queries_judged_without_a_relevant_document_are_not_scored(tmp_path: Path, capsys) -> None:
    collection = load_beir(write_beir(tmp_path, qrels="q1\td1\t1\nq3\td1\t0\nq3\td2\t-1\n"))
    assert [q.id for q in collection.judged_queries()] == ["q1"]
    err = capsys.readouterr().err
    assert "1 query with no relevant document (every score 0 or less) not scored: 'q3'" in err


def test_identical_duplicate_qrels_rows_are_accepted_silently(tmp_path: Path, capsys) -> None:
    collection = load_beir(write_beir(tmp_path, qrels="q1\td1\t2\nq1\td1\t2\n"))
    assert collection.qrels == {"q1": {"d1": 2}} and capsys.readouterr().err == ""
