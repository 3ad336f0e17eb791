"""Write a finished run where other tools read it without glue: JSONL, a datasets.Dataset, a BEIR folder,
a RAGAS evaluation dataset and an MLflow GenAI evaluation dataset.

Every writer takes iterables and streams them, so a large run is never held in memory."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from personaqa.programs.core.atomic import atomic_directory, atomic_write, scratch_directory, write_jsonl
from personaqa.programs.core.records import Chunk, QuestionRecord, Rejection
from personaqa.programs.recipe.chain import VERDICTS

BEIR_QUERY_FIELDS = (
    "persona",
    "question_type",
    "wording",
    "complexity",
    "interest",
    "chunk_id",
    "doc_id",
    "answer",
)

RAGAS_FILE = "ragas.jsonl"
MLFLOW_EVAL_FILE = "mlflow_eval.jsonl"


def write_questions(
    out_dir: Path, records: Iterable[QuestionRecord], rejections: Iterable[Rejection] | None = None
) -> None:
    write_jsonl(out_dir / "questions.jsonl", (r.model_dump(mode="json") for r in records))
    if rejections is not None:
        write_rejections(out_dir, rejections)


def write_rejections(out_dir: Path, rejections: Iterable[Rejection]) -> None:
    write_jsonl(out_dir / "rejected.jsonl", (r.model_dump(mode="json") for r in rejections))


def dataset_row(record: QuestionRecord) -> dict:
    """A record with its verdicts flattened to `<name>_label` / `<name>_reason` columns."""
    row = record.model_dump(mode="json", exclude=set(VERDICTS))
    for name in VERDICTS:
        verdict = getattr(record, name)
        row[f"{name}_label"] = verdict.label if verdict else ""
        row[f"{name}_reason"] = verdict.reason if verdict else ""
    return row


def write_dataset(out_dir: Path, records: Iterable[QuestionRecord]) -> None:
    """A `datasets.Dataset` on disk, built from a streamed JSONL file rather than a list in memory. Its
    progress bars only on a terminal (as the run's own)."""
    import datasets
    from datasets import Dataset

    if not sys.stderr.isatty():
        datasets.disable_progress_bars()

    with atomic_directory(out_dir / "dataset") as staging, scratch_directory(out_dir / "dataset") as scratch:
        rows = scratch / "rows.jsonl"
        count = 0
        with rows.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(dataset_row(record), ensure_ascii=False) + "\n")
                count += 1
        if count:
            dataset = Dataset.from_json(str(rows), cache_dir=str(scratch / "cache"))
        else:
            columns = [c for c in QuestionRecord.model_fields if c not in VERDICTS]
            columns += [f"{n}_{part}" for n in VERDICTS for part in ("label", "reason")]
            dataset = Dataset.from_dict({c: [] for c in columns})
        dataset.save_to_disk(str(staging), num_shards=1)  # one shard even when empty, so it loads back


def write_beir(out_dir: Path, chunks: Iterable[Chunk], records: Iterable[QuestionRecord]) -> None:
    """BEIR layout: chunks as the corpus, questions as queries, qrels graded 0-2 (`QuestionRecord.qrels`)."""
    with atomic_directory(out_dir / "beir") as staging:
        write_jsonl(
            staging / "corpus.jsonl",
            ({"_id": c.chunk_id, "title": c.title, "text": c.text, "doc_id": c.doc_id} for c in chunks),
        )
        with (
            atomic_write(staging / "queries.jsonl") as queries,
            atomic_write(staging / "qrels" / "test.tsv") as qrels,
        ):
            qrels.write("query-id\tcorpus-id\tscore\n")
            for r in records:
                # category axes sit beside the fixed fields (config.RESERVED_AXIS_NAMES keeps them apart), so
                # `evaluate` breaks scores down by each axis as it does by persona
                row = {
                    "_id": r.question_id,
                    "text": r.question,
                    **{k: getattr(r, k) for k in BEIR_QUERY_FIELDS},
                    **r.categories,
                    "evidence": [e.model_dump() for e in r.evidence],
                }
                queries.write(json.dumps(row, ensure_ascii=False) + "\n")
                # each chunk of a multi-chunk question and every copy (grade 2), then the pooled judgements
                for chunk_id, grade in r.qrels().items():
                    qrels.write(f"{r.question_id}\t{chunk_id}\t{grade}\n")


def reference_contexts(record: QuestionRecord, chunk_texts: Mapping[str, str]) -> list[str]:
    """What answers the question: the evidence the judge quoted, else the text of each of its chunks."""
    return [e.text for e in record.evidence] or [chunk_texts[c] for c in record.chunk_ids]


def ragas_row(record: QuestionRecord, chunk_texts: Mapping[str, str]) -> dict:
    """A RAGAS `SingleTurnSample` (user_input, reference, reference_contexts) with personaqa's labels beside
    it, the way RAGAS's own test sets carry persona_name and synthesizer_name."""
    return {
        "user_input": record.question,
        "reference": record.answer,
        "reference_contexts": reference_contexts(record, chunk_texts),
        "question_id": record.question_id,
        "persona": record.persona,
        "question_type": record.question_type,
        "complexity": record.complexity,
        "chunk_ids": record.chunk_ids,
        "duplicate_chunk_ids": record.duplicate_chunk_ids,
        "categories": record.categories,
    }


def mlflow_eval_row(record: QuestionRecord, chunk_texts: Mapping[str, str]) -> dict:
    """An `mlflow.genai.evaluate` record: the question as `inputs`, the answer and the chunks to retrieve as
    `expectations` (MLflow's reserved `expected_response` and `expected_retrieved_context` names), labels
    as tags. Copies of a chunk (`duplicate_chunk_ids`) are tags, not expected context: one copy retrieved
    is enough."""
    context = [{"doc_uri": c, "content": chunk_texts[c]} for c in record.chunk_ids]
    return {
        "inputs": {"question": record.question},
        "expectations": {"expected_response": record.answer, "expected_retrieved_context": context},
        "tags": {
            "question_id": record.question_id,
            "persona": record.persona,
            "question_type": record.question_type,
            "complexity": record.complexity,
            "duplicate_chunk_ids": ",".join(record.duplicate_chunk_ids),
        },
    }


def write_rag_datasets(
    out_dir: Path, records: Iterable[QuestionRecord], chunk_texts: Mapping[str, str]
) -> None:
    """`ragas.jsonl` and `mlflow_eval.jsonl`; `chunk_texts` holds (at least) every chunk of the records."""
    with atomic_write(out_dir / RAGAS_FILE) as ragas, atomic_write(out_dir / MLFLOW_EVAL_FILE) as mlflow_eval:
        for record in records:
            ragas.write(json.dumps(ragas_row(record, chunk_texts), ensure_ascii=False) + "\n")
            mlflow_eval.write(json.dumps(mlflow_eval_row(record, chunk_texts), ensure_ascii=False) + "\n")
