"""Chunks that are copies: found by the identical/near-identical rule, labelled in the qrels, warned about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import test_runner
from fakes import BagOfWordsEmbedder
from personaqa.programs.core.records import Chunk, QuestionRecord
from personaqa.programs.corpus import documents
from personaqa.programs.corpus.chunk_copies import find_chunk_copies
from personaqa.programs.evaluation.scoring import evaluate_runs
from personaqa.programs.recipe.checks.evidence import Evidence
from personaqa.programs.retrieval.beir import load_beir
from personaqa.programs.run.runner import run_generation
from test_runner import make_job, new_engine

engines = test_runner.engines  # the fixture, as in test_dry_run

SHARED = (
    "Every employee receives twenty-eight days of paid leave each year. Unused leave of up to five days "
    "carries over to the next year."
)
HANDBOOK = (
    "The office opens at eight in the morning and closes at six in the evening on every working day of the "
    "week. Visitors sign in at the front desk "
    "and wear a badge. Parking permits are issued by the facilities team on request. The canteen serves "
    "lunch from noon to two."
)


def chunk(chunk_id: str, text: str) -> Chunk:
    return Chunk(chunk_id=chunk_id, doc_id=chunk_id.split("#")[0], text=text, start=0)


def asking(chunk: Chunk, quote: str) -> QuestionRecord:
    start = chunk.text.index(quote)
    return QuestionRecord(
        question_id=f"q-{chunk.chunk_id}",
        question="how many leave days?",
        original_question="How many leave days?",
        persona="clerk",
        interest="leave",
        question_type="extractive",
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        answer="28",
        evidence=[Evidence(chunk_id=chunk.chunk_id, start=start, end=start + len(quote), text=quote)],
    )


def test_identical_after_case_and_whitespace_are_copies():
    chunks = [
        chunk("a#c0", SHARED),
        chunk("b#c3", "  " + SHARED.upper().replace(" ", "\n ")),
        chunk("c#c0", HANDBOOK),
    ]
    copies = find_chunk_copies(lambda: chunks, BagOfWordsEmbedder())
    assert copies.identical == {"a#c0": ["b#c3"], "b#c3": ["a#c0"]}
    assert copies.chunks_with_copies() == 2
    assert copies.copies_for(asking(chunks[0], "twenty-eight days")) == ["b#c3"]
    assert "2 chunk(s) have an identical or near-identical copy" in copies.warning()


def test_near_identical_copy_is_labelled_only_when_it_holds_the_evidence():
    this_year = chunk("h2026#c0", HANDBOOK + " " + SHARED)
    last_year = chunk("h2025#c0", HANDBOOK.replace("at eight in", "at half past eight in") + " " + SHARED)
    changed = chunk("h2024#c0", HANDBOOK + " " + SHARED.replace("twenty-eight", "twenty-five"))
    copies = find_chunk_copies(lambda: [this_year, last_year, changed], BagOfWordsEmbedder())
    assert copies.identical == {}
    assert sorted(copies.near["h2026#c0"]) == ["h2024#c0", "h2025#c0"]
    # the leave sentence is in last year's version word for word, not in the one where the figure changed
    assert copies.copies_for(asking(this_year, "twenty-eight days of paid leave")) == ["h2025#c0"]
    # a near copy without quoted evidence to check is not labelled
    assert copies.copies_for(asking(this_year, "twenty-eight").model_copy(update={"evidence": []})) == []


def test_distinct_chunks_have_no_copies():
    copies = find_chunk_copies(lambda: [chunk("a#c0", SHARED), chunk("c#c0", HANDBOOK)], BagOfWordsEmbedder())
    assert copies.chunks_with_copies() == 0 and copies.near == {} and copies.identical == {}


@pytest.fixture
def shared_paragraph_docs(tmp_path) -> Path:
    """Two files with one identical paragraph, each with a paragraph of its own."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "handbook.txt").write_text(f"{SHARED}\n\n{HANDBOOK}\n", encoding="utf-8")
    (folder / "policy.txt").write_text(
        "Remote work is allowed two days a week with the approval of the team "
        f"lead. Equipment for home offices is reimbursed up to 300 euros.\n\n"
        f"{SHARED}\n",
        encoding="utf-8",
    )
    return folder


def test_duplicate_paragraph_is_labelled_with_both_copies_and_ranking_both_first_scores_one(
    shared_paragraph_docs, tmp_path, engines, capsys, monkeypatch
):
    monkeypatch.setattr(documents, "_warned", set())  # the warning is printed once per process
    engines["fake-task"] = new_engine(
        interests=["leave"], question=lambda text: f"What does it say about {text.inputs['passage'][:40]}?"
    )
    out = tmp_path / "out"
    run_generation(make_job(shared_paragraph_docs, out, chunk_size=200, chunk_overlap=0))

    corpus = {row["_id"]: row["text"] for row in map(json.loads, (out / "beir" / "corpus.jsonl").open())}
    shared = sorted(cid for cid, text in corpus.items() if text.strip() == SHARED)
    assert shared == ["handbook#c0", "policy#c1"], corpus
    assert (
        "personaqa: warning: 2 chunk(s) have an identical or near-identical copy" in capsys.readouterr().err
    )

    collection = load_beir(out / "beir")
    labelled = {qid: set(docs) for qid, docs in collection.qrels.items()}
    about_shared = [qid for qid, docs in labelled.items() if docs & set(shared)]
    assert about_shared and all(labelled[qid] == set(shared) for qid in about_shared)
    records = [json.loads(line) for line in (out / "questions.jsonl").open()]
    on_shared = [r for r in records if r["chunk_id"] in shared]
    assert on_shared and all(
        r["duplicate_chunk_ids"] == [c for c in shared if c != r["chunk_id"]] for r in on_shared
    )

    # a retriever that ranks both copies first (either order), then the rest
    def both_copies_first(qid: str) -> list[tuple[str, float]]:
        first = sorted(labelled[qid], reverse=True)
        rest = [cid for cid in corpus if cid not in labelled[qid]]
        return [(cid, 1.0) for cid in first + rest]

    ranking = {qid: both_copies_first(qid) for qid in collection.qrels}
    report = evaluate_runs(collection.qrels, {"both_first": ranking}, ks=[10])
    scores = report.scores_of("both_first").overall
    assert scores["mrr@10"] == 1.0 and scores["ndcg@10"] == 1.0
