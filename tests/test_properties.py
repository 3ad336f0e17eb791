"""Property tests (hypothesis) for the document loaders and the exporters.

The chunker's properties (every non-whitespace character covered by a verbatim chunk, ids stable and unique)
are in tests/test_chunking.py and not repeated here."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from personaqa.programs.core.errors import InputError
from personaqa.programs.core.records import Chunk, QuestionRecord, Rejection
from personaqa.programs.corpus.documents import id_problem, iter_documents
from personaqa.programs.retrieval.beir import load_beir
from personaqa.programs.run.export import BEIR_QUERY_FIELDS, write_beir, write_questions

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any text a user may have, U+2028/U+2029/U+0085, \r, quotes, backslashes, emoji and combining marks
# included; not lone surrogates (not encodable as UTF-8) and not NUL (binary).
TRICKY = "\u2028\u2029\u0085\r\n\t\"'\\{}[]<>/ \u00a0\u200b\ufeff😀é\u0301\u4e2d"
text_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
texts = st.text(alphabet=st.one_of(text_chars, st.sampled_from(TRICKY)), max_size=80)
solid = texts.filter(lambda t: t.strip() != "")
# Ids: anything printable without tabs, line breaks, controls or surrounding space (what the loader accepts).
ids = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), st.sampled_from("#:/ é😀\u2009\u00a0")
    ),
    min_size=1,
    max_size=24,
).filter(lambda t: t.strip() == t and t != "")


@st.composite
def document_rows(draw) -> list[dict]:
    doc_ids = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    return [{"id": doc_id, "title": draw(texts), "text": draw(solid)} for doc_id in doc_ids]


def _write(folder: Path, name: str, data: str) -> Path:
    path = folder / name
    path.write_text(data, encoding="utf-8", newline="")
    return path


@SETTINGS
@given(rows=document_rows(), ascii_only=st.booleans())
def test_jsonl_documents_load_back_exactly(rows, ascii_only):
    with tempfile.TemporaryDirectory() as tmp:
        body = "".join(json.dumps(row, ensure_ascii=ascii_only) + "\n" for row in rows)
        path = _write(Path(tmp), "corpus.jsonl", body)
        docs = list(iter_documents([path]))
    assert [(d.doc_id, d.title, d.text) for d in docs] == [(r["id"], r["title"], r["text"]) for r in rows]


@SETTINGS
@given(rows=document_rows())
def test_beir_style_underscore_ids_and_extra_fields_load_the_same(rows):
    with tempfile.TemporaryDirectory() as tmp:
        body = "".join(
            json.dumps(
                {"_id": r["id"], "title": r["title"], "text": r["text"], "metadata": {"k": 1}},
                ensure_ascii=False,
            )
            + "\n"
            for r in rows
        )
        docs = list(iter_documents([_write(Path(tmp), "corpus.jsonl", body)]))
    assert [(d.doc_id, d.title, d.text) for d in docs] == [(r["id"], r["title"], r["text"]) for r in rows]


@SETTINGS
@given(text=solid)
def test_text_file_loads_back_exactly(text):
    assume(not text.startswith("\ufeff"))  # a leading BOM is an encoding mark and is dropped
    with tempfile.TemporaryDirectory() as tmp:
        (doc,) = iter_documents([_write(Path(tmp), "note.txt", text)])
    assert (doc.doc_id, doc.text) == ("note", text)


@SETTINGS
@given(
    rows=document_rows(),
    bad=st.sampled_from(["\t", "\n", "\r", "\u2028", "\x1f", " "]),
    where=st.sampled_from(["inside", "end"]),
)
def test_ids_that_would_break_the_beir_export_are_refused_with_their_line(rows, bad, where):
    assume(not (bad == " " and where == "inside"))  # a space inside an id is fine
    rows[-1]["id"] = rows[-1]["id"] + bad + ("x" if where == "inside" else "")
    assert id_problem(rows[-1]["id"])
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), "corpus.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
        with pytest.raises(InputError, match=f":{len(rows)}: field 'id'"):
            list(iter_documents([path]))


# -- exporters -----------------------------------------------------------------------------------------------


@st.composite
def runs(draw) -> tuple[list[Chunk], list[QuestionRecord]]:
    doc_ids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    chunks = [
        Chunk(chunk_id=f"{d}#c{i}", doc_id=d, title=draw(texts), text=draw(solid), start=i * 10)
        for d in doc_ids
        for i in range(draw(st.integers(1, 3)))
    ]
    question_ids = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    records = []
    for qid in question_ids:
        chunk = draw(st.sampled_from(chunks))
        records.append(
            QuestionRecord(
                question_id=qid,
                question=draw(texts),
                original_question=draw(texts),
                persona=draw(ids),
                interest=draw(texts),
                question_type=draw(st.sampled_from(["extractive", "comparative"])),
                chunk_id=chunk.chunk_id,
                doc_id=chunk.doc_id,
            )
        )
    return chunks, records


def _as_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


@SETTINGS
@given(run=runs())
def test_beir_export_round_trips_through_the_beir_reader(run):
    chunks, records = run
    with tempfile.TemporaryDirectory() as tmp:
        write_beir(Path(tmp), iter(chunks), iter(records))
        collection = load_beir(Path(tmp) / "beir")

    assert {i: (d.title, d.text, d.metadata) for i, d in collection.corpus.items()} == {
        c.chunk_id: (c.title, c.text, {"doc_id": c.doc_id}) for c in chunks
    }
    expected_queries = {}
    for r in records:
        metadata = {k: _as_text(getattr(r, k)) for k in BEIR_QUERY_FIELDS if getattr(r, k) is not None}
        metadata["evidence"] = _as_text([e.model_dump() for e in r.evidence])
        expected_queries[r.question_id] = (r.question, metadata)
    assert {i: (q.text, q.metadata) for i, q in collection.queries.items()} == expected_queries
    assert collection.qrels == {
        r.question_id: {c: 2 for c in (getattr(r, "chunk_ids", None) or [r.chunk_id])} for r in records
    }


@SETTINGS
@given(run=runs(), stage=st.sampled_from(["dedup", "relevance", "lm_error"]))
def test_questions_and_rejections_jsonl_round_trip(run, stage):
    _, records = run
    rejections = [
        Rejection(
            question_id=r.question_id,
            stage=stage,
            reason=r.interest,
            question=r.question,
            persona=r.persona,
            chunk_id=r.chunk_id,
            doc_id=r.doc_id,
        )
        for r in records
    ]
    with tempfile.TemporaryDirectory() as tmp:
        write_questions(Path(tmp), iter(records), iter(rejections))
        lines = (Path(tmp) / "questions.jsonl").read_text(encoding="utf-8").split("\n")
        back = [QuestionRecord(**json.loads(line)) for line in lines if line]
        back_rejections = [
            Rejection(**json.loads(line))
            for line in (Path(tmp) / "rejected.jsonl").read_text(encoding="utf-8").split("\n")
            if line
        ]
    assert back == records and back_rejections == rejections
    assert len(lines) == len(records) + 1  # one line per record: no raw line break inside a line
