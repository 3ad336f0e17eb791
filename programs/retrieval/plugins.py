"""Plug-in retrievers `module:function`: the user's factory is imported, called once with the corpus, and its
retriever is checked on every call (one result list per query, known doc ids, no repeats, at most k)."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable, Sequence

import numpy as np
from personaqa.programs.core.errors import InputError
from personaqa.programs.retrieval.ranking import Corpus, Hit, Retriever


def load_plugin(spec: str, corpus: Corpus) -> Retriever:
    """Import `module:function`, call it with the corpus, and check the result is a retriever."""
    factory = _import_callable(spec)
    try:
        inspect.signature(factory).bind(corpus)
    except (TypeError, ValueError):
        raise InputError(f"retriever {spec!r}: the factory must accept one argument, the corpus") from None
    retriever = factory(corpus)
    if not callable(retriever):
        raise InputError(
            f"retriever {spec!r}: the factory returned {type(retriever).__name__}, not a callable"
        )
    return CheckedRetriever(retriever, spec, set(corpus))


def _import_callable(spec: str) -> Callable[..., object]:
    module_name, _, attr = spec.rpartition(":")
    if not module_name or not attr:
        raise InputError(f"retriever {spec!r}: expected module:function")
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"retriever {spec!r}: cannot import {module_name!r} ({exc})") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise InputError(f"retriever {spec!r}: {module_name} has no callable {attr!r}")
    return factory


class CheckedRetriever:
    """Wraps a user retriever: rejects malformed output with a one-line error, truncates to k."""

    def __init__(self, inner: Callable[[list[str], int], object], name: str, doc_ids: set[str]) -> None:
        self._inner = inner
        self._name = name
        self._doc_ids = doc_ids

    def __call__(self, queries: list[str], k: int) -> list[list[Hit]]:
        output = self._inner(queries, k)
        if not isinstance(output, Sequence) or len(output) != len(queries):
            raise InputError(f"retriever {self._name!r}: expected one result list per query ({len(queries)})")
        return [self._check(hits)[:k] for hits in output]

    def _check(self, hits: object) -> list[Hit]:
        if not isinstance(hits, list | tuple):
            raise InputError(f"retriever {self._name!r}: expected a list of (doc_id, score) per query")
        checked: list[Hit] = []
        for hit in hits:
            if not (
                isinstance(hit, Sequence)
                and len(hit) == 2
                and isinstance(hit[0], str)
                and isinstance(hit[1], int | float | np.number)
            ):
                raise InputError(
                    f"retriever {self._name!r}: each hit must be (doc_id: str, score: float), got {hit!r}"
                )
            if hit[0] not in self._doc_ids:
                raise InputError(f"retriever {self._name!r}: returned unknown doc id {hit[0]!r}")
            checked.append((hit[0], float(hit[1])))
        if len({doc_id for doc_id, _ in checked}) != len(checked):
            raise InputError(f"retriever {self._name!r}: returned the same doc id twice for one query")
        return checked
