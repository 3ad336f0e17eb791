"""Write a finished run where other tools read it without glue: JSONL, a datasets.Dataset, a BEIR folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from personaqa.programs.atomic import atomic_directory, atomic_write, write_jsonl
from personaqa.programs.records import Chunk, QuestionRecord, Rejection

BEIR_QUERY_FIELDS = ("persona", "question_type", "interest", "chunk_id", "doc_id")


def write_questions(out_dir: Path, records: list[QuestionRecord], rejections: list[Rejection]) -> None:
    write_jsonl(out_dir / "questions.jsonl", (r.model_dump(mode="json") for r in records))
    write_jsonl(out_dir / "rejected.jsonl", (r.model_dump(mode="json") for r in rejections))


def write_dataset(out_dir: Path, records: list[QuestionRecord]) -> None:
    """A `datasets.Dataset` on disk (verdicts flattened to label/reason columns)."""
    from datasets import Dataset

    rows = []
    for record in records:
        row = record.model_dump(mode="json", exclude={"relevance", "generality"})
        for name in ("relevance", "generality"):
            verdict = getattr(record, name)
            row[f"{name}_label"] = verdict.label if verdict else ""
            row[f"{name}_reason"] = verdict.reason if verdict else ""
        rows.append(row)
    columns = list(QuestionRecord.model_fields)
    if not rows:
        rows_by_column: dict[str, list] = {c: [] for c in columns if c not in ("relevance", "generality")}
        for name in ("relevance", "generality"):
            rows_by_column[f"{name}_label"] = []
            rows_by_column[f"{name}_reason"] = []
        dataset = Dataset.from_dict(rows_by_column)
    else:
        dataset = Dataset.from_list(rows)
    with atomic_directory(out_dir / "dataset") as staging:
        dataset.save_to_disk(str(staging))


def write_beir(out_dir: Path, chunks: Iterable[Chunk], records: list[QuestionRecord]) -> None:
    """BEIR layout: chunks as the corpus, questions as queries, each query relevant to its chunk."""
    with atomic_directory(out_dir / "beir") as staging:
        write_jsonl(staging / "corpus.jsonl",
                    ({"_id": c.chunk_id, "title": c.title, "text": c.text, "doc_id": c.doc_id} for c in chunks))
        write_jsonl(staging / "queries.jsonl",
                    ({"_id": r.question_id, "text": r.question, **{k: getattr(r, k) for k in BEIR_QUERY_FIELDS}}
                     for r in records))
        with atomic_write(staging / "qrels" / "test.tsv") as handle:
            handle.write("query-id\tcorpus-id\tscore\n")
            for record in records:
                handle.write(f"{record.question_id}\t{record.chunk_id}\t1\n")
