"""The checkpoint log: finished units survive a restart; a torn last line is dropped and cut off."""

from __future__ import annotations

import json

from personaqa.programs.core.records import QuestionRecord, Rejection, Verdict
from personaqa.programs.lm.usage import Ledger, StageUsage
from personaqa.programs.run.checkpoints import CheckpointLog, UnitResult


def unit(order: int, chunk_id: str = "doc#c0", persona: str = "ann") -> UnitResult:
    record = QuestionRecord(
        question_id=f"q-{order}",
        question=f"styled question {order}?",
        original_question=f"question {order}?",
        persona=persona,
        interest="break fee",
        question_type="extractive",
        chunk_id=chunk_id,
        doc_id="doc",
        relevance=Verdict(label="fully", reason="stated"),
        generality=Verdict(label="insightful", reason="ok"),
    )
    rejection = Rejection(
        question_id=f"r-{order}",
        stage="relevance",
        reason="not: missing",
        question="q?",
        persona=persona,
        chunk_id=chunk_id,
        doc_id="doc",
        relevance=Verdict(label="not"),
    )
    ledger = Ledger()
    ledger.add("generation", StageUsage(calls=2, input_tokens=30, output_tokens=9))
    return UnitResult(
        order=order,
        chunk_id=chunk_id,
        persona=persona,
        interests=["break fee", "ünïcode"],
        records=[record],
        rejections=[rejection],
        usage=ledger,
    )


def test_missing_log_loads_empty(tmp_path):
    log = CheckpointLog(tmp_path / "work" / "units.jsonl")
    assert log.load() == {}
    assert not log.path.exists()


def test_append_and_load_round_trip(tmp_path):
    log = CheckpointLog(tmp_path / "work" / "units.jsonl")  # parent created on first append
    units = [unit(0, "doc#c0", "ann"), unit(1, "doc#c0", "bob"), unit(2, "doc#c1", "ann")]
    for u in units:
        log.append(u)
    loaded = CheckpointLog(log.path).load()
    assert set(loaded) == {("doc#c0", "ann"), ("doc#c0", "bob"), ("doc#c1", "ann")}
    for u in units:
        assert loaded[u.key] == u
    assert loaded[("doc#c0", "bob")].usage.stages["generation"].input_tokens == 30
    assert len(log.path.read_bytes().splitlines()) == 3


def test_torn_last_line_is_dropped_and_truncated(tmp_path):
    log = CheckpointLog(tmp_path / "units.jsonl")
    log.append(unit(0))
    log.append(unit(1, "doc#c1"))
    intact = log.path.read_bytes()
    torn = (unit(2, "doc#c2").model_dump_json() + "\n").encode()[:57]
    with log.path.open("ab") as handle:
        handle.write(torn)

    loaded = CheckpointLog(log.path).load()
    assert set(loaded) == {("doc#c0", "ann"), ("doc#c1", "ann")}
    assert log.path.read_bytes() == intact

    # appending after the repair gives a clean log again
    log.append(unit(2, "doc#c2"))
    assert set(CheckpointLog(log.path).load()) == {("doc#c0", "ann"), ("doc#c1", "ann"), ("doc#c2", "ann")}


def test_complete_json_without_newline_counts_as_torn(tmp_path):
    log = CheckpointLog(tmp_path / "units.jsonl")
    log.append(unit(0))
    intact = log.path.read_bytes()
    with log.path.open("ab") as handle:
        handle.write(unit(1, "doc#c1").model_dump_json().encode())
    assert set(log.load()) == {("doc#c0", "ann")}
    assert log.path.read_bytes() == intact


def test_line_that_is_not_a_unit_stops_loading(tmp_path):
    log = CheckpointLog(tmp_path / "units.jsonl")
    log.append(unit(0))
    with log.path.open("ab") as handle:
        handle.write(json.dumps({"order": "x"}).encode() + b"\n")
    assert set(log.load()) == {("doc#c0", "ann")}


def test_load_of_intact_log_leaves_file_untouched(tmp_path):
    log = CheckpointLog(tmp_path / "units.jsonl")
    log.append(unit(0))
    before = log.path.read_bytes()
    log.load()
    assert log.path.read_bytes() == before


def test_later_line_for_same_unit_wins(tmp_path):
    log = CheckpointLog(tmp_path / "units.jsonl")
    log.append(unit(0))
    log.append(unit(5))  # same (chunk, persona) key, different order
    assert log.load()[("doc#c0", "ann")].order == 5
