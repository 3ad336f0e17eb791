"""One set, not one list per unit: kept questions that repeat another unit's are moved to the rejections."""

from __future__ import annotations

from fakes import BagOfWordsEmbedder
from personaqa.programs.core.records import QuestionRecord
from personaqa.programs.recipe import run_dedup
from personaqa.programs.recipe.run_dedup import duplicate_rejection, run_duplicates


def record(qid: str, question: str, persona: str = "lawyer") -> QuestionRecord:
    return QuestionRecord(
        question_id=qid,
        question=question,
        original_question=question,
        persona=persona,
        interest="fees",
        question_type="extractive",
        chunk_id="d#c0",
        doc_id="d",
    )


def test_repeats_across_units_name_the_first_occurrence():
    records = [
        record("q1", "What is the name of the air purifier?", "lawyer"),
        record("q2", "How loud is the AeroFlow 300 on its top speed?", "lawyer"),
        record("q3", "What is the name of the air purifier?", "parent"),
        record("q4", "what is the name of the air purifier", "journalist"),
    ]
    assert run_duplicates(records, BagOfWordsEmbedder(), 0.92) == {"q3": "q1", "q4": "q1"}


def test_threshold_one_keeps_everything_but_exact_copies():
    records = [record("q1", "What is the break fee?"), record("q2", "What is the break fee now?")]
    assert run_duplicates(records, BagOfWordsEmbedder(), 1.0) == {}


def test_batches_compare_with_earlier_batches(monkeypatch):
    monkeypatch.setattr(run_dedup, "BATCH", 2)
    records = [
        record("q1", "alpha beta gamma?"),
        record("q2", "delta epsilon?"),
        record("q3", "zeta eta?"),
        record("q4", "alpha beta gamma?"),
        record("q5", "zeta eta?"),
    ]
    assert run_duplicates(records, BagOfWordsEmbedder(), 0.92) == {"q4": "q1", "q5": "q3"}


def test_the_rejection_keeps_the_provenance():
    rejection = duplicate_rejection(record("q3", "What is the break fee?", "parent"), "q1")
    assert (rejection.stage, rejection.question_id, rejection.persona) == ("dedup", "q3", "parent")
    assert rejection.reason == "near-duplicate of q1 (another unit of the run)"
    assert rejection.question == "What is the break fee?" and rejection.chunk_ids == ["d#c0"]
