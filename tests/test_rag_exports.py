"""ragas.jsonl and mlflow_eval.jsonl: their rows, and each file loaded by the library it is meant for."""

from __future__ import annotations

import json

from personaqa.programs.core.records import QuestionRecord, Verdict
from personaqa.programs.recipe.checks.evidence import Evidence
from personaqa.programs.run.export import MLFLOW_EVAL_FILE, RAGAS_FILE, write_rag_datasets

TEXTS = {
    "merger#c0": "The break fee is 40 million. It is paid within 30 days.",
    "merger#c1": "The review ends in June.",
    "copy#c0": "The break fee is 40 million. It is paid within 30 days.",
}


def record(qid: str, chunk_id: str, answer: str, quote: str | None, **fields) -> QuestionRecord:
    text = TEXTS[chunk_id]
    evidence = (
        []
        if quote is None
        else [
            Evidence(
                chunk_id=chunk_id, start=text.index(quote), end=text.index(quote) + len(quote), text=quote
            )
        ]
    )
    return QuestionRecord(
        question_id=qid,
        question=f"styled {qid}?",
        original_question=f"original {qid}?",
        persona="lawyer",
        interest="fees",
        question_type="extractive",
        chunk_id=chunk_id,
        doc_id=chunk_id.split("#")[0],
        relevance=Verdict(label="fully"),
        answer=answer,
        evidence=evidence,
        **fields,
    )


RECORDS = [
    record("q-1", "merger#c0", "40 million", "The break fee is 40 million.", duplicate_chunk_ids=["copy#c0"]),
    record("q-2", "merger#c1", "in June", None),  # no evidence: the chunk's text is the reference context
    record(
        "q-3",
        "merger#c0",
        "fee within 30 days, review in June",
        "It is paid within 30 days.",
        complexity="multi",
        chunk_ids=["merger#c0", "merger#c1"],
    ),
]


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_ragas_rows(tmp_path):
    write_rag_datasets(tmp_path, RECORDS, TEXTS)
    rows = read_jsonl(tmp_path / RAGAS_FILE)
    assert [(r["user_input"], r["reference"]) for r in rows] == [(r.question, r.answer) for r in RECORDS]
    assert [r["reference_contexts"] for r in rows] == [
        ["The break fee is 40 million."],
        ["The review ends in June."],
        ["It is paid within 30 days."],
    ]
    assert rows[0] | {"user_input": "", "reference": "", "reference_contexts": []} == {
        "user_input": "",
        "reference": "",
        "reference_contexts": [],
        "question_id": "q-1",
        "persona": "lawyer",
        "question_type": "extractive",
        "complexity": "single",
        "chunk_ids": ["merger#c0"],
        "duplicate_chunk_ids": ["copy#c0"],
        "categories": {},
    }


def test_mlflow_eval_rows(tmp_path):
    write_rag_datasets(tmp_path, RECORDS, TEXTS)
    rows = read_jsonl(tmp_path / MLFLOW_EVAL_FILE)
    assert rows[0] == {
        "inputs": {"question": "styled q-1?"},
        "expectations": {
            "expected_response": "40 million",
            "expected_retrieved_context": [{"doc_uri": "merger#c0", "content": TEXTS["merger#c0"]}],
        },
        "tags": {
            "question_id": "q-1",
            "persona": "lawyer",
            "question_type": "extractive",
            "complexity": "single",
            "duplicate_chunk_ids": "copy#c0",
        },
    }
    assert [c["doc_uri"] for c in rows[2]["expectations"]["expected_retrieved_context"]] == [
        "merger#c0",
        "merger#c1",
    ]


def test_no_records_write_empty_files(tmp_path):
    write_rag_datasets(tmp_path, [], {})
    assert (tmp_path / RAGAS_FILE).read_text() == "" and (tmp_path / MLFLOW_EVAL_FILE).read_text() == ""


def test_ragas_loads_the_export(tmp_path):
    from ragas import EvaluationDataset, SingleTurnSample

    write_rag_datasets(tmp_path, RECORDS, TEXTS)
    dataset = EvaluationDataset.from_jsonl(str(tmp_path / RAGAS_FILE))
    assert len(dataset) == len(RECORDS)
    assert all(isinstance(sample, SingleTurnSample) for sample in dataset.samples)
    first = dataset.samples[0]
    assert (first.user_input, first.reference, first.reference_contexts) == (
        "styled q-1?",
        "40 million",
        ["The break fee is 40 million."],
    )


def test_mlflow_genai_evaluate_scores_the_export(tmp_path):
    """mlflow.genai.evaluate takes the rows as they are: a stand-in RAG app answers and retrieves, two
    code scorers (no LM) compare with the expectations."""
    import mlflow
    from mlflow.genai.scorers import scorer

    write_rag_datasets(tmp_path, RECORDS, TEXTS)
    rows = read_jsonl(tmp_path / MLFLOW_EVAL_FILE)
    answers = {r.question: r.answer for r in RECORDS}

    @scorer
    def exact_answer(outputs, expectations) -> bool:
        return outputs == expectations["expected_response"]

    @scorer
    def expects_context(expectations) -> bool:
        return all(c["doc_uri"] in TEXTS and c["content"] for c in expectations["expected_retrieved_context"])

    mlflow.set_experiment("personaqa-export-test")
    result = mlflow.genai.evaluate(
        data=rows, predict_fn=lambda question: answers[question], scorers=[exact_answer, expects_context]
    )
    assert result.metrics["exact_answer/mean"] == 1.0
    assert result.metrics["expects_context/mean"] == 1.0
