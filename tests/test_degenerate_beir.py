"""Property test: any small BEIR folder a BEIR/MTEB reader accepts gives a result or one error line.

Folders are generated with every degenerate shape `evaluate` and `validate` have a policy for
(docs/errors.md): titles missing, null or empty; documents and queries with no word or only
stop words; qrels listing a pair twice with different scores, only zero or negative scores for a
query, or nothing relevant at all; k far above the corpus size. Every built-in retriever runs over
each folder and every metric `evaluate` or `validate` can report (ranx, as both commands compute them)
must be in [0, 1] for exactly the documented judged queries. The paired tests are covered in
tests/test_evaluate_cli.py.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from personaqa.programs.core.errors import InputError
from personaqa.programs.evaluation.scoring import evaluate_runs, metric_names, per_query_values
from personaqa.programs.evaluation.validate import METRIC_FAMILIES
from personaqa.programs.retrieval.beir import load_beir
from personaqa.programs.retrieval.panel import build_panel
from personaqa.programs.retrieval.retrievers import BUILT_IN

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

ABSENT = object()  # the field is left out of the JSON object
WORDS = ["volcano lava", "bread oven yeast", "the of and", "chess", "猫 喜欢 鱼"]
TEXTS = ["", "   ", "!!", "the", *WORDS]
texts = st.sampled_from(TEXTS)
titles = st.sampled_from([ABSENT, None, "", "the", "Volcano", "Bread"])
scores = st.sampled_from([-1, 0, 0, 1, 1, 2])


@st.composite
def beir_folders(draw) -> tuple[list[dict], list[dict], list[tuple[str, str, int]]]:
    n_docs = draw(st.integers(1, 5))
    docs = []
    for i in range(n_docs):
        doc = {"_id": f"d{i}", "text": draw(st.sampled_from([None, *TEXTS]))}
        title = draw(titles)
        if title is not ABSENT:
            doc["title"] = title
        docs.append(doc)
    queries = [{"_id": f"q{i}", "text": draw(texts)} for i in range(draw(st.integers(1, 4)))]
    pairs = st.tuples(st.sampled_from([q["_id"] for q in queries]), st.sampled_from([d["_id"] for d in docs]))
    rows = [(q, d, draw(scores)) for q, d in draw(st.lists(pairs, min_size=1, max_size=8))]
    return docs, queries, rows


def write_folder(root: Path, docs: list[dict], queries: list[dict], rows: list[tuple[str, str, int]]) -> Path:
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs))
    (root / "queries.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries))
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t{s}\n" for q, d, s in rows)
    )
    return root


def documented_judged(rows: list[tuple[str, str, int]]) -> set[str]:
    """A query is scored when one of its (query, document) pairs has a highest score above 0."""
    best: dict[tuple[str, str], int] = {}
    for q, d, s in rows:
        best[q, d] = max(s, best.get((q, d), s))
    return {q for (q, _), s in best.items() if s > 0}


@SETTINGS
@given(folder=beir_folders(), k=st.sampled_from([1, 3, 50]))
def test_every_folder_gives_a_result_or_one_error_line(embedder, folder, k: int) -> None:
    docs, queries, rows = folder
    with tempfile.TemporaryDirectory() as tmp:
        root = write_folder(Path(tmp) / "beir", docs, queries, rows)
        try:
            collection = load_beir(root)
            panel = build_panel(list(BUILT_IN), collection.corpus, collection.root, embedder)
        except InputError as exc:
            assert "\n" not in str(exc) and str(Path(tmp)) in str(exc)  # names the file
            return
    judged = collection.judged_queries()
    assert {q.id for q in judged} == documented_judged(rows)
    runs = panel.search({q.id: q.text for q in judged}, k)
    for hits_of in runs.values():
        assert all(len(hits) <= k for hits in hits_of.values())
    values = per_query_values(collection.qrels, runs, metric_names([k], METRIC_FAMILIES))
    for per_run in values.values():
        assert set(per_run) == set(panel.retrievers)
        for per_query in per_run.values():
            assert set(per_query) == {q.id for q in judged}
            assert all(0.0 <= value <= 1.0 for value in per_query.values())


def test_queries_without_words_score_zero_for_every_retriever(embedder, tmp_path: Path) -> None:
    docs = [{"_id": "d0", "title": "Volcano", "text": "lava"}, {"_id": "d1", "text": "bread oven"}]
    queries = [{"_id": "q0", "text": "!!"}, {"_id": "q1", "text": "lava volcano"}]
    collection = load_beir(write_folder(tmp_path / "b", docs, queries, [("q0", "d0", 1), ("q1", "d0", 1)]))
    panel = build_panel(list(BUILT_IN), collection.corpus, collection.root, embedder)
    runs = panel.search({q.id: q.text for q in collection.judged_queries()}, 10)
    assert all(run["q0"] == [] for run in runs.values())
    report = evaluate_runs(collection.qrels, runs, [10])
    assert {row.scores["ndcg@10"] for row in report.per_query if row.query_id == "q0"} == {0.0}


@pytest.mark.parametrize("spec", ["bm25-title", "dense-title"])
def test_title_retrievers_index_only_documents_with_a_title(embedder, tmp_path: Path, spec: str) -> None:
    docs = [{"_id": "d0", "title": "Volcano", "text": "lava"}, {"_id": "d1", "title": None, "text": "bread"}]
    collection = load_beir(
        write_folder(tmp_path / "b", docs, [{"_id": "q0", "text": "volcano"}], [("q0", "d0", 1)])
    )
    panel = build_panel([spec], collection.corpus, collection.root, embedder)
    assert panel.retrievers[spec].doc_ids == {"d0"}
    assert [d for d, _ in panel.search({"q0": "volcano bread"}, 10)[spec]["q0"]] == ["d0"]
