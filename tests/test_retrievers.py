"""Built-in retrievers find the obvious document; the module:function plug-in is checked."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pytest

from personaqa.programs.beir import CorpusDoc
from personaqa.programs.errors import InputError
from personaqa.programs.retrievers import FusionRetriever, Retriever, build_retriever, load_encoder, top_k

CORPUS = {
    doc.id: doc
    for doc in [
        CorpusDoc("d1", "Cats", "Small domestic felines; they often sit purring on a warm lap."),
        CorpusDoc("d2", "Volcanoes", "A volcano erupts lava, ash and gases from deep inside the Earth."),
        CorpusDoc(
            "d3", "Bread baking", "Bakers knead dough with yeast and flour before it goes in the oven."
        ),
        CorpusDoc("d4", "Chess openings", "The Sicilian defence is a popular first move sequence for black."),
        CorpusDoc(
            "d5", "Train timetables", "Railway schedules list departures and arrivals at every station."
        ),
    ]
}


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()  # the bundled all-MiniLM-L6-v2, loaded once


def first_doc(retriever: Retriever, query: str) -> str | None:
    (hits,) = retriever([query], 3)
    return hits[0][0] if hits else None


@pytest.mark.parametrize(
    ("spec", "query", "expected"),
    [
        ("bm25", "lava erupting from a volcano", "d2"),
        ("bm25-stem", "bake", "d3"),  # only matches "baking" once stemmed
        ("bm25-title", "chess", "d4"),
        ("tfidf", "yeast dough", "d3"),
        ("overlap", "railway station departures", "d5"),
    ],
)
def test_lexical_retrievers_rank_the_obvious_doc_first(spec: str, query: str, expected: str) -> None:
    assert first_doc(build_retriever(spec, CORPUS), query) == expected


@pytest.mark.parametrize(
    ("spec", "query", "expected"),
    [
        ("dense", "kitten", "d1"),
        ("dense", "molten rock explosion from a mountain", "d2"),
        ("dense-title", "bakery", "d3"),
        ("hybrid", "lava volcano", "d2"),
    ],
)
def test_dense_and_hybrid_rank_the_obvious_doc_first(encoder, spec: str, query: str, expected: str) -> None:
    assert first_doc(build_retriever(spec, CORPUS, embedder=encoder), query) == expected


def test_stemming_and_title_options_change_matching() -> None:
    assert (
        first_doc(build_retriever("bm25", CORPUS), "bake") is None
    )  # no unstemmed match, no zero-score filler
    assert first_doc(build_retriever("bm25-title", CORPUS), "lava") is None  # body text not indexed


def test_output_shape_and_k(encoder) -> None:
    built: dict[str, Retriever] = {}
    for spec in ("bm25", "tfidf", "overlap", "dense", "hybrid"):
        retriever = build_retriever(spec, CORPUS, embedder=encoder, built=built)
        results = retriever(["volcano", "bread oven", "zzzz"], 10)  # k above corpus size
        assert len(results) == 3
        assert all(len(hits) <= len(CORPUS) for hits in results)
        assert all(isinstance(d, str) and isinstance(s, float) for hits in results for d, s in hits)
        scores = [s for d, s in results[0]]
        assert scores == sorted(scores, reverse=True)
        assert retriever([], 5) == []
    assert built["hybrid"](["volcano"], 2)[0][0][0] == "d2" and len(built["hybrid"](["volcano"], 2)[0]) == 2
    assert set(built) == {"bm25", "tfidf", "overlap", "dense", "hybrid"}  # hybrid reused bm25 and dense


def test_top_k_breaks_ties_by_corpus_order() -> None:
    scores = np.array([[0.5, 0.9, 0.5, 0.5, 0.0]])
    assert top_k(scores, 3, ["a", "b", "c", "d", "e"], positive_only=True) == [
        [("b", 0.9), ("a", 0.5), ("c", 0.5)]
    ]


def test_reciprocal_rank_fusion_values() -> None:
    first = lambda queries, k: [[("a", 9.0), ("b", 8.0)] for _ in queries]  # noqa: E731
    second = lambda queries, k: [[("b", 0.7), ("c", 0.6)] for _ in queries]  # noqa: E731
    (fused,) = FusionRetriever([first, second], rrf_k=60)(["q"], 3)
    # b: 1/(60+2) + 1/(60+1); a: 1/(60+1); c: 1/(60+2)
    assert [d for d, _ in fused] == ["b", "a", "c"]
    assert [s for _, s in fused] == pytest.approx([1 / 62 + 1 / 61, 1 / 61, 1 / 62])


def test_unknown_spec() -> None:
    with pytest.raises(InputError, match="unknown retriever 'bm26'"):
        build_retriever("bm26", CORPUS)


PLUGIN = textwrap.dedent(
    '''
    def make(corpus):
        """Ranks documents by title length: silly but valid."""
        ids = sorted(corpus, key=lambda i: len(corpus[i].title))
        return lambda queries, k: [[(i, float(-n)) for n, i in enumerate(ids[:k])] for _ in queries]

    def bad_ids(corpus):
        return lambda queries, k: [[("nope", 1.0)] for _ in queries]

    def wrong_length(corpus):
        return lambda queries, k: []

    def no_args():
        return None

    def not_a_retriever(corpus):
        return 42

    NOT_CALLABLE = 3
    '''
)


@pytest.fixture
def plugin_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "toy_retriever_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "toy_retriever_plugin"


def test_plugin_factory_gets_the_corpus(plugin_module: str) -> None:
    retriever = build_retriever(f"{plugin_module}:make", CORPUS)
    assert retriever(["anything", "else"], 2) == [[("d1", 0.0), ("d2", -1.0)]] * 2  # shortest titles first


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("bad_ids", "returned unknown doc id 'nope'"),
        ("wrong_length", "expected one result list per query"),
    ],
)
def test_plugin_output_is_validated(plugin_module: str, target: str, expected: str) -> None:
    retriever = build_retriever(f"{plugin_module}:{target}", CORPUS)
    with pytest.raises(InputError, match=expected):
        retriever(["q"], 3)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("no_such_module_xyz:make", "cannot import 'no_such_module_xyz'"),
        ("{m}:missing", "has no callable 'missing'"),
        ("{m}:NOT_CALLABLE", "has no callable 'NOT_CALLABLE'"),
        ("{m}:no_args", "must accept one argument, the corpus"),
        ("{m}:not_a_retriever", "returned int, not a callable"),
    ],
)
def test_plugin_errors_are_one_line(plugin_module: str, spec: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        build_retriever(spec.format(m=plugin_module), CORPUS)
