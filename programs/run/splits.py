"""Train / dev / test splits of a finished run that nothing crosses: no document, no group of copied chunks.

A question trained on and a question tested on must not share a passage, or the test measures recall of the
training text. Documents are joined (union-find) when anything links them:

- the chunks of one document;
- chunk copies (`programs/corpus/chunk_copies.py`: identical after normalisation, or MiniLM cosine ≥ 0.95),
  whether or not they answer a question;
- a question's labelled chunks: its own (a complex question may span two documents), its copies, and the
  chunks pooled judging graded relevant (`QuestionRecord.qrels`, grade > 0).

Each joined group goes to one split. The groups are shuffled with the seed, those holding questions first,
and each goes to the split furthest below its share of documents (relative to its target), so on a small
corpus every split with a non-zero share gets a group before any gets a second; groups without questions
(documents only negatives and the corpus use) are placed the same way afterwards."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from personaqa.programs.core.errors import InputError
from personaqa.programs.core.records import QuestionRecord

SPLITS = ("train", "dev", "test")
DEFAULT_SHARES = "80/10/10"


def parse_shares(text: str) -> dict[str, float]:
    """`80/10/10` (or `0.8,0.1,0.1`) → {train: 0.8, dev: 0.1, test: 0.1}; one InputError line if unusable."""
    parts = text.replace(",", "/").split("/")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != len(SPLITS) or any(v < 0 for v in values) or sum(values) <= 0 or values[0] <= 0:
        raise InputError(
            f"--split {text!r}: give three non-negative shares TRAIN/DEV/TEST with TRAIN > 0, e.g. 80/10/10"
        )
    total = sum(values)
    return {name: value / total for name, value in zip(SPLITS, values, strict=True)}


class UnionFind:
    """Disjoint sets of string keys (path halving)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, keys: Iterable[str]) -> None:
        roots = [self.find(k) for k in keys]
        for root in roots[1:]:
            self.parent[self.find(root)] = self.find(roots[0])


@dataclass(frozen=True)
class Assignment:
    """document id → split; `groups` the joined documents (sorted), for the summary and the tests."""

    split_of_doc: dict[str, str]
    groups: list[list[str]]

    def docs_in(self, split: str) -> set[str]:
        return {doc for doc, name in self.split_of_doc.items() if name == split}


def document_groups(
    doc_of_chunk: Mapping[str, str],
    copies: Iterable[Sequence[str]],
    records: Iterable[QuestionRecord],
) -> list[list[str]]:
    """The documents joined by `copies` (groups of chunk ids that copy one another) and by questions'
    labelled chunks (module docstring), each group sorted, the groups sorted by their first document."""
    found = UnionFind()
    for doc in doc_of_chunk.values():
        found.find(doc)
    for group in copies:
        found.union(doc_of_chunk[c] for c in group if c in doc_of_chunk)
    for record in records:
        labelled = [c for c, grade in record.qrels().items() if grade > 0]
        found.union([record.doc_id, *(doc_of_chunk[c] for c in labelled if c in doc_of_chunk)])
    groups: dict[str, list[str]] = {}
    for doc in found.parent:
        groups.setdefault(found.find(doc), []).append(doc)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def assign_splits(
    groups: list[list[str]], docs_with_questions: set[str], shares: Mapping[str, float], seed: int
) -> Assignment:
    """Each group of documents to one split (module docstring); seeded, so the same run splits the same."""
    rng = random.Random(seed)
    asked = [g for g in groups if docs_with_questions & set(g)]
    others = [g for g in groups if not docs_with_questions & set(g)]
    rng.shuffle(asked)
    rng.shuffle(others)
    split_of_doc: dict[str, str] = {}
    for batch in (asked, others):
        total = sum(len(g) for g in batch)
        placed = dict.fromkeys(SPLITS, 0)
        for group in batch:
            name = max(
                (s for s in SPLITS if shares[s] > 0),
                key=lambda s: (shares[s] * total - placed[s]) / (shares[s] * total),
            )
            placed[name] += len(group)
            split_of_doc.update(dict.fromkeys(group, name))
    return Assignment(split_of_doc, groups)
