"""Read a BEIR-layout folder (corpus, queries, qrels) into typed objects.

`personaqa evaluate` scores retrievers on any BEIR folder — the sets this project
generates and public human-judged ones alike — so reading one has to be strict and
say exactly which file, line and field is wrong when it is not usable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from personaqa.programs.core.errors import InputError
from personaqa.programs.core.jsonl import json_lines, text_lines
from personaqa.programs.corpus.documents import warn_once

T = TypeVar("T")

CORPUS_FILE = "corpus.jsonl"
QUERIES_FILE = "queries.jsonl"
QRELS_DIR = "qrels"
QRELS_HEADER = ("query-id", "corpus-id", "score")


@dataclass(frozen=True, slots=True)
class CorpusDoc:
    """One retrievable document; extra JSON fields are kept as strings in `metadata`."""

    id: str
    title: str
    text: str
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def full_text(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True, slots=True)
class Query:
    """One information need; `metadata` holds e.g. persona, question_type, complexity."""

    id: str
    text: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BeirCollection:
    """A whole BEIR folder for one qrels split."""

    root: Path
    split: str
    corpus: dict[str, CorpusDoc]
    queries: dict[str, Query]
    qrels: dict[str, dict[str, int]]

    def judged_queries(self) -> list[Query]:
        """Queries with at least one relevant document: the ones metrics are defined for."""
        return [
            query
            for query_id, query in self.queries.items()
            if any(score > 0 for score in self.qrels.get(query_id, {}).values())
        ]


def load_beir(root: str | Path, split: str = "test") -> BeirCollection:
    """Read `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv` under `root`."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: dataset folder not found")
    corpus = read_corpus(root / CORPUS_FILE)
    queries = read_queries(root / QUERIES_FILE)
    qrels = read_qrels(_qrels_path(root, split), corpus, queries)
    return BeirCollection(root=root, split=split, corpus=corpus, queries=queries, qrels=qrels)


def read_corpus(path: Path) -> dict[str, CorpusDoc]:
    return _read_by_id(
        path,
        "documents",
        lambda doc_id, record, line_no: CorpusDoc(
            id=doc_id,
            title=_text_field(record, "title", path, line_no, required=False),
            text=_text_field(record, "text", path, line_no, required=True),
            metadata=_metadata(record, exclude={"_id", "title", "text"}),
        ),
    )


def read_queries(path: Path) -> dict[str, Query]:
    return _read_by_id(
        path,
        "queries",
        lambda query_id, record, line_no: Query(
            id=query_id,
            text=_text_field(record, "text", path, line_no, required=True),
            metadata=_metadata(record, exclude={"_id", "text"}),
        ),
    )


def _read_by_id(path: Path, what: str, build: Callable[[str, dict[str, Any], int], T]) -> dict[str, T]:
    """JSONL rows keyed by their unique `_id`; an empty file is an error."""
    rows: dict[str, T] = {}
    for line_no, record in json_lines(path):
        row_id = _id_field(record, path, line_no)
        if row_id in rows:
            raise InputError(f"{path}:{line_no}: duplicate _id {row_id!r}")
        rows[row_id] = build(row_id, record, line_no)
    if not rows:
        raise InputError(f"{path}: no {what}")
    return rows


def read_qrels(
    path: Path, corpus: dict[str, CorpusDoc], queries: dict[str, Query]
) -> dict[str, dict[str, int]]:
    """Read a `query-id<TAB>corpus-id<TAB>score` file; every id must exist.

    A (query, document) pair judged twice keeps its highest score, whatever the row order, with a
    warning when the scores differ. At least one judgement must be relevant (score > 0); queries
    whose judgements are all 0 or less are not scored, with a warning.
    """
    qrels: dict[str, dict[str, int]] = {}
    first_line: dict[tuple[str, str], int] = {}
    conflicts: list[str] = []
    for line_no, cells in _tsv_rows(path):
        query_id, doc_id, score = _qrel_cells(cells, path, line_no)
        if query_id not in queries:
            raise InputError(f"{path}:{line_no}: query-id {query_id!r} is not in {QUERIES_FILE}")
        if doc_id not in corpus:
            raise InputError(f"{path}:{line_no}: corpus-id {doc_id!r} is not in {CORPUS_FILE}")
        judged = qrels.setdefault(query_id, {})
        earlier = judged.get(doc_id)
        if earlier is not None and earlier != score:
            conflicts.append(
                f"{path}:{line_no}: field 'score': query-id {query_id!r}, corpus-id {doc_id!r} "
                f"is judged {score} here and {earlier} on line {first_line[query_id, doc_id]}"
            )
        first_line.setdefault((query_id, doc_id), line_no)
        judged[doc_id] = score if earlier is None else max(earlier, score)
    if not qrels:
        raise InputError(f"{path}: no judgements")
    _check_relevant(path, qrels, conflicts)
    return qrels


def _check_relevant(path: Path, qrels: dict[str, dict[str, int]], conflicts: list[str]) -> None:
    if conflicts:
        more = f" (and {len(conflicts) - 1} more such pair(s))" if len(conflicts) > 1 else ""
        warn_once(f"{conflicts[0]}{more}; kept the highest score of each pair")
    unjudged = [qid for qid, docs in qrels.items() if not any(score > 0 for score in docs.values())]
    if len(unjudged) == len(qrels):
        raise InputError(f"{path}: field 'score': no judgement is relevant (score > 0); nothing to score")
    if unjudged:
        shown = ", ".join(repr(qid) for qid in unjudged[:5]) + (" ..." if len(unjudged) > 5 else "")
        warn_once(
            f"{path}: {len(unjudged)} quer{'y' if len(unjudged) == 1 else 'ies'} with no relevant "
            f"document (every score 0 or less) not scored: {shown}"
        )


def _qrels_path(root: Path, split: str) -> Path:
    path = root / QRELS_DIR / f"{split}.tsv"
    if not path.is_file():
        found = sorted(p.stem for p in (root / QRELS_DIR).glob("*.tsv"))
        hint = f" (found splits: {', '.join(found)})" if found else ""
        raise InputError(f"{path}: qrels file not found{hint}")
    return path


def _tsv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    for line_no, line in text_lines(path):
        cells = [cell.strip() for cell in line.split("\t")]
        if line_no == 1 and tuple(c.lower() for c in cells) == QRELS_HEADER:
            continue
        yield line_no, cells


def _qrel_cells(cells: list[str], path: Path, line_no: int) -> tuple[str, str, int]:
    if len(cells) != 3:
        raise InputError(
            f"{path}:{line_no}: expected 3 tab-separated fields "
            f"(query-id, corpus-id, score), got {len(cells)}"
        )
    query_id, doc_id, raw_score = cells
    try:
        score = int(raw_score)
    except ValueError:
        raise InputError(f"{path}:{line_no}: field 'score' must be an integer, got {raw_score!r}") from None
    return query_id, doc_id, score


def _id_field(record: dict[str, Any], path: Path, line_no: int) -> str:
    value = record.get("_id")
    if value is None:
        raise InputError(f"{path}:{line_no}: missing field '_id'")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"{path}:{line_no}: field '_id' must be a string")
    value = str(value)
    if not value.strip():
        raise InputError(f"{path}:{line_no}: field '_id' is empty")
    return value


def _text_field(record: dict[str, Any], name: str, path: Path, line_no: int, *, required: bool) -> str:
    """A string field; `null` reads as empty, and only a required field may not be left out."""
    if required and name not in record:
        raise InputError(f"{path}:{line_no}: missing field '{name}'")
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{path}:{line_no}: field '{name}' must be a string")
    return value


def _metadata(record: dict[str, Any], exclude: set[str]) -> dict[str, str]:
    """Extra fields as strings; a nested BEIR `metadata` object is flattened into them."""
    extra = {key: value for key, value in record.items() if key not in exclude}
    nested = extra.pop("metadata", None)
    if isinstance(nested, dict):
        extra = {**nested, **extra}
    elif nested is not None:
        extra["metadata"] = nested
    return {key: _as_text(value) for key, value in extra.items() if value is not None}


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
