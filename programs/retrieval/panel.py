"""Build and run retrievers on a BEIR collection under one policy for degenerate input.

`evaluate` and `validate` meet collections nobody here wrote. Whatever their shape, every
retriever, built-in or plug-in, is treated the same way:

- a *token* is a run of word characters (any script); a document with no token in the fields a
  retriever reads is not given to it (it cannot be found by that retriever);
- a retriever with no such document (`bm25-title` on a corpus without titles), or whose library
  cannot index the rest (documents of stop words only), is skipped with a warning; no retriever
  left is an error;
- a query with no token gets no hits from any retriever (it scores 0);
- `k` is capped at the number of documents a retriever indexes, and every result list is checked
  (known document ids, no repeats, at most `k`);
- a plug-in that raises is reported in one error line, never a traceback.
"""

from __future__ import annotations

import contextlib
import re
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from personaqa.programs.core.errors import InputError, PersonaqaError
from personaqa.programs.corpus.documents import warn_once
from personaqa.programs.retrieval.beir import CORPUS_FILE, CorpusDoc, Query
from personaqa.programs.retrieval.retrievers import (
    BUILT_IN,
    CheckedRetriever,
    Hit,
    Retriever,
    build_retriever,
)

TITLE_ONLY = ("bm25-title", "dense-title")
SHOWN_IDS = 5
_TOKEN = re.compile(r"\w")


def has_token(text: str) -> bool:
    return bool(_TOKEN.search(text))


def indexed_text(doc: CorpusDoc, spec: str) -> str:
    """What retriever `spec` reads of a document: the title for title-only ones, else title and text."""
    return doc.title if spec in TITLE_ONLY else doc.full_text


@dataclass(slots=True)
class GuardedRetriever:
    """A retriever run under the common policy (see the module docstring)."""

    name: str
    inner: Retriever
    doc_ids: frozenset[str]

    def __call__(self, queries: list[str], k: int) -> list[list[Hit]]:
        searchable = [i for i, text in enumerate(queries) if has_token(text)]
        results: list[list[Hit]] = [[] for _ in queries]
        if searchable:
            found = self._search([queries[i] for i in searchable], min(k, len(self.doc_ids)))
            for i, hits in zip(searchable, found, strict=True):
                results[i] = hits
        return results

    def _search(self, texts: list[str], k: int) -> list[list[Hit]]:
        checked = CheckedRetriever(self.inner, self.name, set(self.doc_ids))
        try:
            return checked(texts, k)
        except PersonaqaError:
            raise
        except Exception as exc:
            if self.name in BUILT_IN:
                raise
            raise InputError(f"retriever {self.name!r} failed: {_describe(exc)}") from None


@dataclass(slots=True)
class Panel:
    """The retrievers that could be built, the skipped ones with the reason, and the seconds spent."""

    retrievers: dict[str, GuardedRetriever]
    skipped: dict[str, str] = field(default_factory=dict)
    timing: dict[str, dict[str, float]] = field(default_factory=dict)

    def search(
        self, queries: Mapping[str, str], k: int, key: str = "search_s"
    ) -> dict[str, dict[str, list[Hit]]]:
        """Run name -> query id -> hits, best first; seconds per retriever recorded under `key`."""
        ids, texts = list(queries), list(queries.values())
        runs = {}
        for name, retriever in self.retrievers.items():
            started = time.perf_counter()
            runs[name] = dict(zip(ids, retriever(texts, k), strict=True))
            self.timing[name][key] = round(time.perf_counter() - started, 3)
        return runs


def build_panel(
    specs: list[str], corpus: Mapping[str, CorpusDoc], root: Path, embedder: object = None
) -> Panel:
    """Build every retriever of `specs` over the documents it can index; skip (with a warning) the rest."""
    corpus_path = Path(root) / CORPUS_FILE
    _check_searchable(corpus, corpus_path)
    panel = Panel(retrievers={})
    built: dict[str, Retriever] = {}
    for spec in specs:
        started = time.perf_counter()
        retriever, reason = _build(spec, corpus, corpus_path, embedder, built)
        if retriever is None:
            panel.skipped[spec] = reason
            warn_once(f"retriever {spec!r} skipped: {reason}")
            continue
        panel.retrievers[spec] = retriever
        panel.timing[spec] = {"index_s": round(time.perf_counter() - started, 3)}
    if not panel.retrievers:
        raise InputError(
            f"{corpus_path}: none of the retrievers {', '.join(specs)} can index this corpus "
            "(see the warnings above)"
        )
    return panel


def _build(
    spec: str,
    corpus: Mapping[str, CorpusDoc],
    corpus_path: Path,
    embedder: object,
    built: dict[str, Retriever],
) -> tuple[GuardedRetriever | None, str]:
    docs = {doc_id: doc for doc_id, doc in corpus.items() if has_token(indexed_text(doc, spec))}
    if not docs:
        what = "a title" if spec in TITLE_ONLY else "a word"
        return None, f"no document in {corpus_path} has {what} to index"
    try:
        with _quiet_numerics(spec):
            inner = build_retriever(spec, docs, embedder=embedder, built=built)
    except PersonaqaError:
        raise
    except ValueError as exc:  # the library's own refusal, e.g. a vocabulary of stop words only
        hint = "; do its documents hold only stop words?" if spec in BUILT_IN else ""
        return None, f"cannot index {corpus_path} ({_describe(exc)}){hint}"
    except Exception as exc:
        if spec in BUILT_IN:
            raise
        raise InputError(f"retriever {spec!r}: the factory failed: {_describe(exc)}") from None
    return GuardedRetriever(spec, inner, frozenset(docs)), ""


def _check_searchable(corpus: Mapping[str, CorpusDoc], corpus_path: Path) -> None:
    empty = [doc_id for doc_id, doc in corpus.items() if not has_token(doc.full_text)]
    if len(empty) == len(corpus):
        raise InputError(f"{corpus_path}: fields 'title' and 'text': no document has a word to index")
    if empty:
        warn_once(
            f"{corpus_path}: fields 'title' and 'text': {len(empty)} document(s) with no word to index "
            f"(_id {_ids(empty)}); no retriever can find them"
        )


def warn_unsearchable_queries(queries: list[Query], queries_path: Path) -> None:
    """One warning for judged queries no retriever gets a hit for (they score 0)."""
    empty = [q.id for q in queries if not has_token(q.text)]
    if empty:
        warn_once(
            f"{queries_path}: field 'text': {len(empty)} judged query(ies) with no word to search for "
            f"(_id {_ids(empty)}) get no hits and score 0"
        )


@contextlib.contextmanager
def _quiet_numerics(spec: str) -> Iterator[None]:
    """Built-ins: hide numpy's division warnings on an index of stop words only (the skip warning says it)."""
    with warnings.catch_warnings():
        if spec in BUILT_IN:
            warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _ids(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:SHOWN_IDS])
    return shown + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")


def _describe(exc: Exception) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
