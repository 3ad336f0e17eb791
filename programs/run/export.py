"""Write a finished run where other tools read it without glue: JSONL, a datasets.Dataset, a BEIR folder.

Every writer takes iterables and streams them, so a large run is never held in memory."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from personaqa.programs.core.atomic import atomic_directory, atomic_write, scratch_directory, write_jsonl
from personaqa.programs.core.records import Chunk, QuestionRecord, Rejection

BEIR_QUERY_FIELDS = ("persona", "question_type", "wording", "complexity", "interest", "chunk_id", "doc_id")
VERDICTS = ("relevance", "generality")


def write_questions(out_dir: Path, records: Iterable[QuestionRecord], rejections: Iterable[Rejection]) -> None:
    write_jsonl(out_dir / "questions.jsonl", (r.model_dump(mode="json") for r in records))
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
    """A `datasets.Dataset` on disk, built from a streamed JSONL file rather than a list in memory."""
    from datasets import Dataset

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
    """BEIR layout: chunks as the corpus, questions as queries, each query relevant to its chunk(s)."""
    with atomic_directory(out_dir / "beir") as staging:
        write_jsonl(staging / "corpus.jsonl",
                    ({"_id": c.chunk_id, "title": c.title, "text": c.text, "doc_id": c.doc_id} for c in chunks))
        with atomic_write(staging / "queries.jsonl") as queries, atomic_write(staging / "qrels" / "test.tsv") as qrels:
            qrels.write("query-id\tcorpus-id\tscore\n")
            for r in records:
                row = {"_id": r.question_id, "text": r.question, **{k: getattr(r, k) for k in BEIR_QUERY_FIELDS}}
                queries.write(json.dumps(row, ensure_ascii=False) + "\n")
                for chunk_id in r.chunk_ids or [r.chunk_id]:  # a multi-chunk question is relevant to each chunk
                    qrels.write(f"{r.question_id}\t{chunk_id}\t1\n")
