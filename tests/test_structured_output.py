"""The bounded JSON adapter sends the signatures' list and string bounds to the LM."""

from __future__ import annotations

import copy

import dspy
import pytest
from dspy.lm15 import Message, Response, TextPart, Usage, response_to_events
from fakes import ScriptedEngine, lm_context, make_lm
from personaqa.programs.core.records import Chunk
from personaqa.programs.lm.structured_output import DEFAULT_MAX_ITEMS, DEFAULT_MAX_STRING, bound_schema
from personaqa.programs.recipe.generation import QuestionTypeSelector
from personaqa.signatures import (
    ClassifyGenerality,
    DescribeWritingStyle,
    ExtractInterests,
    GenerateQuestion,
    JudgeRelevance,
)

CHUNK = Chunk(chunk_id="d#c0", doc_id="d", title="Merger", text="The break fee is 40 million.", start=0)


def schema_for(signature, engine: ScriptedEngine, key: str, **inputs) -> dict:
    with lm_context(make_lm(engine)):
        dspy.Predict(signature)(**inputs)
    return engine.schema(key)


def test_interests_schema_has_max_items_5_sentence_numbers_and_short_topics():
    engine = ScriptedEngine()
    schema = schema_for(ExtractInterests, engine, "interests", persona="p", passage="[1] x")
    interests = schema["properties"]["interests"]
    assert interests["type"] == "array"
    assert interests["maxItems"] == 5
    point = schema["$defs"][interests["items"]["$ref"].rsplit("/", 1)[-1]]
    assert point["required"] == ["sentence", "topic"]  # the sentence first: the topic is named from it
    assert point["properties"]["topic"]["maxLength"] == 60
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["interests"]


def test_question_types_schema_has_max_items_3_and_configured_enum():
    engine = ScriptedEngine()
    selector = QuestionTypeSelector({"extractive": "a fact", "howto": "steps"}, max_types=2, selection="lm")
    with lm_context(make_lm(engine)):
        selector(CHUNK, "break fee")
    prop = engine.schema("question_types")["properties"]["question_types"]
    assert prop["maxItems"] == 3
    assert prop["items"]["enum"] == ["extractive", "howto"]
    assert "maxLength" not in prop["items"]


def test_question_and_style_strings_have_their_declared_max_length():
    engine = ScriptedEngine()
    question = schema_for(
        GenerateQuestion,
        engine,
        "question",
        persona="p",
        passage="x",
        interest="i",
        question_type="extractive",
    )["properties"]["question"]
    assert (question["type"], question["maxLength"], question["minLength"]) == ("string", 300, 5)
    style = schema_for(DescribeWritingStyle, engine, "writing_style", persona="p")["properties"]
    assert set(style) == {"length", "tone", "wording"}  # choices, no free text to copy back
    assert all("enum" in style[name] for name in style)


def test_judge_schemas_keep_verdict_enum_and_bound_reason():
    engine = ScriptedEngine()
    relevance = schema_for(JudgeRelevance, engine, "relevance", passage="x", question="q?")["properties"]
    assert relevance["verdict"]["enum"] == ["fully", "partially", "not"]
    assert "maxLength" not in relevance["verdict"]
    # sentence numbers, not copied text: at most 3, each a positive integer; a short answer
    assert relevance["sentences"]["maxItems"] == 3 and relevance["sentences"]["items"]["minimum"] == 1
    assert relevance["sentences"]["items"]["type"] == "integer" and relevance["answer"]["maxLength"] == 120
    generality = schema_for(ClassifyGenerality, engine, "generality", question="q?")["properties"]
    assert generality["verdict"]["enum"] == ["insightful", "pedantic_or_general", "missing_context"]
    assert generality["reason"]["maxLength"] == 100


def test_unbounded_fields_get_default_bounds():
    class Loose(dspy.Signature):
        """Free-form output."""

        topic: str = dspy.InputField()
        notes: list[str] = dspy.OutputField()

    class CaptureEngine(ScriptedEngine):
        def complete(self, request):
            captured["schema"] = request.config.response_format["schema"]
            return Response(
                id=None,
                model="fake",
                message=Message.assistant([TextPart('{"notes": ["a"]}')]),
                finish_reason="stop",
                usage=Usage(input_tokens=1, output_tokens=1),
            )

    captured = {}
    with lm_context(make_lm(CaptureEngine())):
        assert dspy.Predict(Loose)(topic="t").notes == ["a"]
    notes = captured["schema"]["properties"]["notes"]
    assert notes["maxItems"] == DEFAULT_MAX_ITEMS
    assert notes["items"]["maxLength"] == DEFAULT_MAX_STRING


# -- bound_schema -------------------------------------------------------------------------------


def test_bound_schema_adds_bounds_recursively_without_mutating_input():
    schema = {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}},
            "nested": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
            "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "count": {"type": "integer"},
        },
        "$defs": {"Item": {"type": "object", "properties": {"name": {"type": "string"}}}},
    }
    original = copy.deepcopy(schema)
    out = bound_schema(schema, max_items=4, max_string=50)
    assert schema == original
    props = out["properties"]
    assert props["tags"]["maxItems"] == 4 and props["tags"]["items"]["maxLength"] == 50
    assert props["nested"]["maxItems"] == 4
    assert props["nested"]["items"]["maxItems"] == 4
    assert props["nested"]["items"]["items"]["maxLength"] == 50
    assert props["maybe"]["anyOf"][0]["maxLength"] == 50
    assert "maxLength" not in props["maybe"]["anyOf"][1]
    assert props["count"] == {"type": "integer"}
    assert out["$defs"]["Item"]["properties"]["name"]["maxLength"] == 50
    assert "maxItems" not in out and "maxLength" not in out


def test_bound_schema_keeps_existing_bounds():
    schema = {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 10}}
    assert bound_schema(schema, max_items=9, max_string=99) == schema


def test_bound_schema_leaves_enums_and_consts_untouched():
    schema = {
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": ["fully", "not"]},
            "kind": {"type": "string", "const": "x"},
            "many": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
        },
    }
    out = bound_schema(schema)
    assert out["properties"]["verdict"] == {"type": "string", "enum": ["fully", "not"]}
    assert out["properties"]["kind"] == {"type": "string", "const": "x"}
    assert out["properties"]["many"]["items"] == {"type": "string", "enum": ["a", "b"]}
    assert out["properties"]["many"]["maxItems"] == DEFAULT_MAX_ITEMS


def test_bound_schema_passes_through_non_schema_values():
    assert bound_schema("string") == "string"
    assert bound_schema([{"type": "string"}, 3], max_string=7) == [{"type": "string", "maxLength": 7}, 3]


class CutEngine:
    """An in-process engine whose every answer stops at max_tokens, mid-JSON."""

    supports_response_schema = True
    supported_params = frozenset({"response_format", "temperature", "max_tokens", "seed"})

    def complete(self, request):
        return Response(
            id=None,
            model="cut",
            message=Message.assistant([TextPart('{"question": "What is the fee')]),
            finish_reason="length",
            usage=Usage(input_tokens=5, output_tokens=8),
        )

    def stream(self, request):
        return response_to_events(self.complete(request))

    def close(self):
        pass


def test_in_process_answer_cut_at_max_tokens_is_rejected_not_repaired():
    from personaqa.programs.lm.build import WholeAnswerLM
    from personaqa.programs.lm.calls import StageFailure, call_lm
    from personaqa.programs.lm.structured_output import BoundedJSONAdapter
    from personaqa.signatures import GenerateQuestion

    lm = WholeAnswerLM("local-cut", engine=CutEngine(), cache=False, num_retries=0)
    with (
        dspy.context(lm=lm, adapter=BoundedJSONAdapter()),
        pytest.raises(StageFailure, match="cut at max_tokens"),
    ):
        call_lm(
            "generation",
            dspy.Predict(GenerateQuestion),
            persona="p",
            passage="The fee is 40 million euros.",
            interest="fee",
            question_type="extractive",
        )
