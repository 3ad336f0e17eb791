"""The labelled set: the shipped train/dev files load, and every malformed line names path:line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes_judges import DEV, TRAIN
from personaqa.optimize.labels import LabelledExample, file_hash, load_labelled
from personaqa.programs.core.errors import InputError

GOOD = {
    "id": "x-01",
    "passage": {
        "doc_id": "x",
        "title": "X",
        "text": "The X widget ships in March 2026 at a price of 40 euros.",
    },
    "persona": {"name": "buyer", "description": "A careful buyer."},
    "interest": "price",
    "question_type": "extractive",
    "question": "What does the X widget cost?",
    "candidates": [
        {"question": "What does the X widget cost?", "label": "good"},
        {"question": "What does it cost?", "label": "bad", "reason": "missing_context"},
    ],
    "styled": [
        {"question": "What does the X widget cost?", "styled_question": "x widget price?", "faithful": True}
    ],
}


def row(**changes) -> dict:
    data = json.loads(json.dumps(GOOD))
    data.update(changes)
    return data


def write(tmp_path: Path, *lines: str | dict) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


# -- the shipped sets ----------------------------------------------------------------------------


def test_shipped_sets_load_with_enough_distinct_examples() -> None:
    train, dev = load_labelled(TRAIN), load_labelled(DEV)
    assert len(train) + len(dev) >= 40
    assert len(dev) >= 8
    train_ids, dev_ids = {e.id for e in train}, {e.id for e in dev}
    assert len(train_ids) == len(train) and len(dev_ids) == len(dev)
    assert not train_ids & dev_ids


def test_shipped_dev_set_covers_every_judge_with_both_labels() -> None:
    dev = load_labelled(DEV)
    relevance = {
        c.label == "good"
        for e in dev
        for c in e.candidates
        if c.label == "good" or c.reason == "not_answerable"
    }
    generality = {
        c.label == "good"
        for e in dev
        for c in e.candidates
        if c.label == "good" or c.reason in ("too_general", "missing_context")
    }
    fidelity = {s.faithful for e in dev for s in e.styled}
    assert relevance == generality == fidelity == {True, False}


def test_example_converts_to_chunk_and_dspy_example() -> None:
    example = LabelledExample.model_validate(GOOD)
    assert example.chunk.chunk_id == "x#x-01" and example.chunk.text == GOOD["passage"]["text"]
    dspy_example = example.to_dspy()
    assert set(dspy_example.inputs().keys()) == {"chunk", "persona", "interest", "question_type"}
    assert dspy_example.labels().question == GOOD["question"]


def test_blank_lines_are_skipped_and_hash_is_stable(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, "", "   ", row(id="x-02"))
    assert [e.id for e in load_labelled(path)] == ["x-01", "x-02"]
    assert file_hash(path) == file_hash(path) and len(file_hash(path)) == 16


# -- malformed input ------------------------------------------------------------------------------


def _error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        load_labelled(path)
    return str(info.value)


def test_bad_json_names_path_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, '{"id": "x-02", "passage": ')
    message = _error(path)
    assert message.startswith(f"{path}:2:") and "malformed JSON" in message


def test_missing_persona_description(tmp_path: Path) -> None:
    bad = row(id="x-02", persona={"name": "buyer"})
    message = _error(write(tmp_path, GOOD, bad))
    assert message.startswith(f"{tmp_path / 'set.jsonl'}:2:")
    assert "field 'persona.description'" in message


def test_bad_candidate_label(tmp_path: Path) -> None:
    bad = row(candidates=[{"question": "What does the X widget cost?", "label": "great"}])
    message = _error(write(tmp_path, bad))
    assert message.startswith(f"{tmp_path / 'set.jsonl'}:1:")
    assert "field 'candidates.0.label'" in message


def test_bad_candidate_without_reason(tmp_path: Path) -> None:
    bad = row(candidates=[GOOD["candidates"][0], {"question": "What does it cost?", "label": "bad"}])
    message = _error(write(tmp_path, GOOD, row(id="x-02"), bad))
    assert message.startswith(f"{tmp_path / 'set.jsonl'}:3:")
    assert "field 'candidates.1'" in message and "needs a reason" in message


def test_unknown_bad_reason(tmp_path: Path) -> None:
    bad = row(candidates=[{"question": "What does it cost?", "label": "bad", "reason": "boring"}])
    message = _error(write(tmp_path, bad))
    assert "field 'candidates.0.reason'" in message


def test_good_candidate_with_reason(tmp_path: Path) -> None:
    bad = row(
        candidates=[{"question": "What does the X widget cost?", "label": "good", "reason": "too_general"}]
    )
    message = _error(write(tmp_path, bad))
    assert message.startswith(f"{tmp_path / 'set.jsonl'}:1:")
    assert "field 'candidates.0'" in message and "takes no reason" in message


def test_example_with_neither_candidates_nor_styled(tmp_path: Path) -> None:
    bad = row(candidates=[], styled=[])
    message = _error(write(tmp_path, GOOD, bad))
    assert message.startswith(f"{tmp_path / 'set.jsonl'}:2:")
    assert "needs at least one labelled candidate or styled rewrite" in message


def test_only_styled_or_only_candidates_is_enough(tmp_path: Path) -> None:
    path = write(tmp_path, row(candidates=[]), row(id="x-02", styled=[]))
    assert len(load_labelled(path)) == 2


def test_duplicate_id(tmp_path: Path) -> None:
    message = _error(write(tmp_path, GOOD, row(id="x-02"), GOOD))
    assert message.startswith(f"{tmp_path / 'set.jsonl'}:3:") and "duplicate id 'x-01'" in message


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    message = _error(write(tmp_path, row(answer="40 euros")))
    assert "field 'answer'" in message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n  \n")
    assert _error(path) == f"{path}: labelled set is empty"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    assert "not found" in _error(path)
