"""Complex (multi-chunk) questions: the overlap finder, the single-chunk-suffices rejection, multi-chunk
qrels in the BEIR output, and separate single/multi metrics in `evaluate`."""

from __future__ import annotations

import json

import dspy
import pytest
from dspy.lm15 import Message, Response, TextPart, Usage, response_to_events
from personaqa.programs.core.records import Chunk, Persona, QuestionRecord
from personaqa.programs.corpus.overlap import find_chunk_groups, semantic_jaccard
from personaqa.programs.evaluation.scoring import evaluate_runs
from personaqa.programs.lm.structured_output import BoundedJSONAdapter
from personaqa.programs.recipe.pipeline import SyntheticEvalProgram
from personaqa.programs.retrieval.beir import load_beir
from personaqa.programs.run.export import write_beir


def chunk(chunk_id: str, doc_id: str, text: str) -> Chunk:
    return Chunk(chunk_id=chunk_id, doc_id=doc_id, text=text, start=0)


MERGER = chunk(
    "merger#c0",
    "merger",
    "The Competition Authority is reviewing the Harbor Analytics merger with Vessel "
    "Systems. A decision is due by 18 July 2026. Vessel Systems is owed a break fee of 40 million euros.",
)
OBJECTION = chunk(
    "objection#c0",
    "objection",
    "Port operators object to the Harbor Analytics takeover of Vessel "
    "Systems. The authority must decide on the deal by 18 July 2026. Switching software would cost a "
    "port 2.5 million euros.",
)
PURIFIER = chunk(
    "purifier#c0",
    "purifier",
    "The AeroFlow 300 has three fan speeds and an Auto mode. Replace the "
    "HEPA filter every 12 months. Error code E2 means the fan is blocked.",
)
POLICY = chunk(
    "policy#c0",
    "policy",
    "Northwind staff may work remotely three days a week. The home office "
    "allowance is 600 euros. Managers judge outcomes rather than hours online.",
)


def test_overlap_finder_groups_chunks_that_share_facts_and_nothing_else(embedder):
    groups = find_chunk_groups([PURIFIER, MERGER, POLICY, OBJECTION], embedder)
    assert [sorted(c.chunk_id for c in g.chunks) for g in groups] == [["merger#c0", "objection#c0"]]
    assert groups[0].jaccard >= 0.15


def test_overlap_finder_respects_cross_document_switch_and_group_size(embedder):
    assert find_chunk_groups([MERGER, OBJECTION, PURIFIER], embedder, cross_document=False) == []
    assert find_chunk_groups([MERGER, OBJECTION, PURIFIER], embedder, group_size=3) == []
    with pytest.raises(ValueError):
        find_chunk_groups([MERGER, OBJECTION], embedder, group_size=4)


def test_reworded_copy_is_a_near_duplicate_not_a_group(embedder):
    """A copy with every sentence reworded holds the same facts: no question can need both chunks."""
    copy = chunk(
        "copy#c0",
        "copy",
        "The Harbor Analytics merger with Vessel Systems is being reviewed by the "
        "Competition Authority. The decision is due by 18 July 2026. A break fee of 40 million euros is "
        "owed to Vessel Systems.",
    )
    assert find_chunk_groups([MERGER, copy, PURIFIER], embedder) == []
    (group,) = find_chunk_groups([MERGER, copy, PURIFIER], embedder, max_jaccard=1.0)
    assert group.jaccard > 0.6


def test_verbatim_overlap_between_neighbouring_chunks_does_not_count(embedder):
    shared = "Vessel Systems is owed a break fee of 40 million euros."
    texts_a, texts_b = (
        ["The deal is under review by the authority.", shared],
        [shared, "Ports run on many systems."],
    )
    vectors_a, vectors_b = embedder.encode(texts_a), embedder.encode(texts_b)
    assert semantic_jaccard(vectors_a, vectors_b, texts_a, texts_b, threshold=0.7) == 0.0


class GroupEngine:
    """Answers the multi-passage writer, its judge and the shared filter/style steps."""

    supports_response_schema = True
    supported_params = frozenset({"response_format", "temperature", "max_tokens", "seed"})

    def __init__(self, single_passage: int):
        self.single_passage = single_passage
        self.prompts: list[str] = []

    def complete(self, request):
        props = request.config.response_format["schema"]["properties"]
        self.prompts.append(request.messages[-1].parts[0].text)
        question = "How does the Harbor Analytics break fee compare with a port's software switching cost?"
        if "single_passage" in props:
            answer = {
                "reason": "passage 1 has the fee, passage 2 the cost",
                "verdict": "fully",
                "single_passage": self.single_passage,
            }
        elif "verdict" in props:
            answer = {"reason": "specific", "verdict": "insightful"}
        elif "wording" in props:
            answer = {"length": "full sentences", "tone": "neutral", "wording": "numbers first"}
        else:
            answer = {name: question for name in props}
        return Response(
            id=None,
            model="group",
            message=Message.assistant([TextPart(json.dumps(answer))]),
            finish_reason="stop",
            usage=Usage(input_tokens=10, output_tokens=5),
        )

    def stream(self, request):
        return response_to_events(self.complete(request))

    def close(self):
        pass


def run_group(embedder, single_passage: int):
    engine = GroupEngine(single_passage)
    program = SyntheticEvalProgram(embedder)
    with dspy.context(lm=dspy.LM("group-fake", engine=engine, cache=False), adapter=BoundedJSONAdapter()):
        out = program.group(
            [MERGER, OBJECTION], Persona(name="analyst", description="A data journalist."), ["comparative"]
        )
    return out, engine


def test_multi_chunk_question_keeps_every_chunk_in_its_provenance(embedder):
    out, engine = run_group(embedder, single_passage=0)
    (record,) = out.records
    assert record.complexity == "multi"
    assert record.chunk_ids == ["merger#c0", "objection#c0"]
    assert record.question_type == "comparative"
    assert "[1]" in engine.prompts[0] and "[2]" in engine.prompts[0]  # both passages were shown
    assert out.usage.stages["complex_generation"].calls == 1
    assert out.usage.stages["complex_relevance"].calls == 1


def test_question_answered_by_one_chunk_alone_is_rejected_as_not_complex(embedder):
    out, _ = run_group(embedder, single_passage=2)
    assert out.records == []
    (rejection,) = out.rejections
    assert rejection.stage == "single_chunk_suffices"
    assert rejection.reason.startswith("objection#c0 alone answers it")
    assert rejection.chunk_ids == ["merger#c0", "objection#c0"]


def record(qid: str, chunk_ids: list[str], complexity: str) -> QuestionRecord:
    return QuestionRecord(
        question_id=qid,
        question=f"question {qid}?",
        original_question="q",
        persona="analyst",
        interest="",
        question_type="comparative",
        chunk_id=chunk_ids[0],
        doc_id="d",
        complexity=complexity,
        chunk_ids=chunk_ids,
    )


def test_beir_qrels_list_every_relevant_chunk_of_a_multi_chunk_question(tmp_path):
    records = [record("q1", ["merger#c0"], "single"), record("q2", ["merger#c0", "objection#c0"], "multi")]
    write_beir(tmp_path, [MERGER, OBJECTION, PURIFIER], records)
    collection = load_beir(tmp_path / "beir")
    assert collection.qrels["q2"] == {"merger#c0": 2, "objection#c0": 2}
    assert collection.qrels["q1"] == {"merger#c0": 2}
    assert collection.queries["q2"].metadata["complexity"] == "multi"


def test_evaluate_reports_single_and_multi_chunk_questions_separately():
    qrels = {"s1": {"a": 1}, "s2": {"b": 1}, "m1": {"a": 1, "b": 1}, "m2": {"c": 1, "d": 1}}
    # the retriever finds the single-chunk answers and only half of each multi-chunk evidence set
    ranking = {
        "s1": [("a", 2.0), ("x", 1.0)],
        "s2": [("b", 2.0)],
        "m1": [("a", 2.0), ("y", 1.0)],
        "m2": [("d", 2.0), ("z", 1.0)],
    }
    metadata = {
        "s1": {"complexity": "single"},
        "s2": {"complexity": "single"},
        "m1": {"complexity": "multi"},
        "m2": {"complexity": "multi"},
    }
    report = evaluate_runs(qrels, {"toy": ranking}, [10], metadata=metadata, by=["complexity"])
    groups = report.scores_of("toy").breakdowns["complexity"]
    assert groups["single"]["recall@10"] == pytest.approx(1.0)
    assert groups["multi"]["recall@10"] == pytest.approx(0.5)
