"""Built-in retrievers find the obvious document; the module:function plug-in is checked."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pytest
from personaqa.programs.core.errors import InputError
from personaqa.programs.retrieval.beir import CorpusDoc
from personaqa.programs.retrieval.retrievers import (
    FusionRetriever,
    Retriever,
    build_retriever,
    load_encoder,
    top_k,
)

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
    first = lambda queries, k: [[("a", 9.0), ("b", 8.0)] for _ in queries]
    second = lambda queries, k: [[("b", 0.7), ("c", 0.6)] for _ in queries]
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


# ---------------------------------------------------------------- documents in any language (issue 13)

CHINESE = {
    doc.id: doc
    for doc in [
        CorpusDoc("z1", "远程办公", "员工每月可以申请282元的远程办公补贴，须在月底前提交申请。"),
        CorpusDoc("z2", "年假", "年假天数根据工龄计算，工作满一年可享受五天带薪年假。"),
        CorpusDoc("z3", "差旅报销", "报销差旅费用需要在出差结束后十天内提交发票。"),
        CorpusDoc("z4", "设备", "公司为每位员工提供一台笔记本电脑和一副耳机。"),
    ]
}
CHINESE_QUERIES = ["员工每月可以申请多少元的远程办公补贴？", "出差回来多久内要交发票？"]


@pytest.mark.parametrize("spec", ["bm25", "bm25-stem", "tfidf", "overlap"])
def test_lexical_retrievers_rank_a_chinese_corpus(spec: str) -> None:
    """Issue 13: these retrieved nothing for Chinese queries (a run of Han characters was one token)."""
    corpus = {**CHINESE, "en": CorpusDoc("en", "Remote work", "Employees may claim a remote work allowance.")}
    hits = build_retriever(spec, corpus)(CHINESE_QUERIES, 3)
    assert [ranking[0][0] for ranking in hits] == ["z1", "z3"]


def test_bm25_title_reads_chinese_titles() -> None:
    assert first_doc(build_retriever("bm25-title", CHINESE), "差旅报销怎么办理？") == "z3"


def test_japanese_queries_match_japanese_documents() -> None:
    corpus = {
        "j1": CorpusDoc("j1", "", "従業員は毎月二千円の在宅勤務手当を申請できます。"),
        "j2": CorpusDoc("j2", "", "年次有給休暇は勤続年数に応じて付与されます。"),
    }
    assert first_doc(build_retriever("bm25", corpus), "在宅勤務手当はいくらですか？") == "j1"


@pytest.mark.parametrize("spec", ["bm25", "tfidf", "overlap"])
def test_a_query_sharing_no_term_with_the_corpus_is_warned_about(spec: str, capsys) -> None:
    build_retriever(spec, CHINESE)(["Which allowance covers remote work?", "远程办公补贴"], 3)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        (
            f"personaqa: warning: {spec}: 1 of 2 queries share no term with any document, so it scores "
            "them 0 (first: 'Which allowance covers remote work?'); are the queries in the language of the "
            "corpus?"
        )
    ]


def test_no_warning_when_every_query_shares_a_term(capsys) -> None:
    build_retriever("bm25", CHINESE)(CHINESE_QUERIES, 3)
    assert capsys.readouterr().err == ""
