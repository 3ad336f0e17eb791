"""SyntheticEvalProgram end to end on a scripted LM: every stage, every rejection, provenance, usage."""

from __future__ import annotations

import dspy
import pytest
from fakes import (
    INVALID_JSON,
    BagOfWordsEmbedder,
    CachingEmbedder,
    Raise,
    ScriptedEngine,
    build_program,
    lm_context,
    make_lm,
    run_program,
)
from personaqa.programs.core.errors import LMUnavailableError
from personaqa.programs.core.records import Chunk, Persona, PersonaStyle
from personaqa.programs.recipe.pipeline import question_id
from personaqa.programs.recipe.styling import PersonaStylist

CHUNK = Chunk(
    chunk_id="merger#c0",
    doc_id="merger",
    title="Harbor merger",
    text="The break fee is 40 million euros. The review deadline is 30 June 2026. Together the two ports "
    "hold a market share of 41%; their weather policy is unchanged.",
    start=0,
)
CHUNKS = [CHUNK] + [
    Chunk(
        chunk_id=f"merger#c{i}",
        doc_id="merger",
        title="Harbor merger",
        text=f"Paragraph {i} on the break fee and the market share.",
        start=i * 40,
    )
    for i in (1, 2)
]
LAWYER = Persona(name="lawyer", description="A competition lawyer who writes formal questions.")
PARENT = Persona(name="parent", description="A busy parent who types short lowercase questions.")

QUESTIONS = {
    "break fee": "What is the break fee in the Harbor merger?",
    "review deadline": "When does the Harbor merger review end?",
    "weather policy": "Does the weather affect port operations in the Harbor deal?",
    "market share": "What market share would Harbor and Vessel hold together?",
}


def question_for(text):
    return QUESTIONS[text.inputs["interest"]]


@pytest.fixture
def bow():
    return BagOfWordsEmbedder()


@pytest.fixture(scope="module")
def minilm(embedder):
    return CachingEmbedder(embedder)


def engine_for(interests, name: str = "fake", **answers) -> ScriptedEngine:
    return ScriptedEngine({"interests": list(interests), "question": question_for, **answers}, name=name)


def stages(prediction) -> dict[str, str]:
    return {r.interest: r.stage for r in prediction.rejections}


# -- interests and question types ---------------------------------------------------------------


def test_near_identical_interests_are_merged(minilm):
    engine = engine_for(["break fee", "the break fee", "Break Fee", "review deadline"])
    out = run_program(build_program(minilm, type_selection="lm"), engine, CHUNK, LAWYER)
    assert out.interests == ["break fee", "review deadline"]
    assert engine.calls["question_types"] == 2
    assert sorted(engine.texts("question_types")[i].inputs["interest"] for i in range(2)) == [
        "break fee",
        "review deadline",
    ]


def test_interests_are_capped_and_repeats_dropped(bow):
    engine = engine_for(["break fee", "review deadline", "Break fee", "market share", "weather policy"])
    out = run_program(build_program(bow, max_interests=3), engine, CHUNK, LAWYER)
    assert out.interests == ["break fee", "review deadline", "market share"]


def test_given_interests_skip_extraction(bow):
    engine = engine_for(["should not be asked"])
    out = run_program(build_program(bow), engine, CHUNK, LAWYER, interests=["market share"])
    assert engine.calls["interests"] == 0
    assert out.interests == ["market share"]
    assert [r.interest for r in out.records] == ["market share"]


def test_question_types_are_restricted_deduplicated_and_capped(bow):
    types = {
        "extractive": "asks for a fact",
        "comparative": "asks how things differ",
        "howto": "asks for steps",
    }
    engine = engine_for(
        ["break fee"],
        question_types=["howto", "howto", "comparative", "extractive"],
        question=lambda t: f"Which {t.inputs['question_type'].split(':')[0]} fee question for Harbor?",
    )
    program = build_program(bow, question_types=types, max_types_per_interest=2, type_selection="lm")
    out = run_program(program, engine, CHUNK, LAWYER)
    # the schema offers only the configured types
    enum = engine.schema("question_types")["properties"]["question_types"]["items"]["enum"]
    assert enum == ["extractive", "comparative", "howto"]
    # "The break fee is 40 million euros." compares nothing: comparative goes (type_fit), extractive follows
    assert [r.question_type for r in out.records] == ["howto", "extractive"]
    # the writer is told the type and its (custom) description
    assert [t.inputs["question_type"] for t in engine.texts("question")] == [
        "howto: asks for steps",
        "extractive: asks for a fact",
    ]


def test_question_types_outside_configured_set_are_dropped(bow):
    types = {"extractive": "asks for a fact", "comparative": "asks how things differ"}
    engine = engine_for(["break fee"], question_types=["extractive", "sentiment", "riddle"])
    out = run_program(build_program(bow, question_types=types), engine, CHUNK, LAWYER)
    assert [r.question_type for r in out.records] == ["extractive"]
    assert not [r for r in out.rejections if r.stage == "lm_error"]


# -- filters ------------------------------------------------------------------------------------


def relevance_by_question(text):
    question = text.inputs["question"]
    if "weather" in question:
        return ("not", "the passage says nothing about weather")
    if "review" in question:
        return ("partially", "the passage gives the date but not the reason")
    return ("fully", "the passage states the fee")


def test_relevance_filter_rejects_what_is_not_fully_answered(bow):
    engine = engine_for(["break fee", "weather policy", "review deadline"], relevance=relevance_by_question)
    out = run_program(build_program(bow), engine, CHUNK, LAWYER)
    assert [r.interest for r in out.records] == ["break fee"]
    assert stages(out) == {"weather policy": "relevance", "review deadline": "relevance"}
    by_interest = {r.interest: r for r in out.rejections}
    weather = by_interest["weather policy"]
    assert weather.reason == "not: the passage says nothing about weather"
    assert weather.relevance.label == "not"
    assert weather.question == "styled: " + QUESTIONS["weather policy"]  # the text the judge saw
    assert weather.generality is None
    partial = by_interest["review deadline"]
    assert partial.reason.startswith("partially: ")
    assert partial.relevance.reason == "the passage gives the date but not the reason"
    # every question is styled before the judges see it; rejected questions go no further
    assert engine.calls["styled_question"] == 3
    assert engine.calls["generality"] == 1


def test_a_written_question_asking_for_a_name_it_does_not_give_is_dropped_before_any_judge(bow):
    """ "What is the name of the product being merged?" needs the document to say which merger; the 1.5B
    judge kept such questions, so they are rejected at `context` by code, before style and judge calls."""
    unnamed = "What is the name of the product being merged?"
    engine = engine_for(
        ["break fee", "market share"],
        question=lambda t: unnamed if t.inputs["interest"] == "market share" else question_for(t),
    )
    out = run_program(build_program(bow), engine, CHUNK, LAWYER)
    assert [r.interest for r in out.records] == ["break fee"]
    (rejected,) = out.rejections
    assert (rejected.stage, rejected.question) == ("context", unnamed)
    assert rejected.reason.startswith("missing_context")
    assert engine.calls["generality"] == engine.calls["relevance"] == 1  # the kept question's only


def test_generality_filter_rejects_pedantic_and_context_free_questions(bow):
    def generality(text):
        question = text.inputs["question"]
        if "market share" in question:
            return ("missing_context", "which merger is meant is unclear")
        if "review" in question:
            return ("pedantic_or_general", "trivia")
        return ("insightful", "specific")

    engine = engine_for(
        ["break fee", "market share", "review deadline"],
        generality=generality,
        styled_question=lambda t: "so " + t.inputs["question"].lower(),
    )
    out = run_program(build_program(bow), engine, CHUNK, LAWYER)
    assert [r.interest for r in out.records] == ["break fee"]
    assert stages(out) == {"market share": "generality", "review deadline": "generality"}
    missing = next(r for r in out.rejections if r.interest == "market share")
    assert missing.reason == "missing_context: which merger is meant is unclear"
    assert missing.generality.label == "missing_context"
    assert missing.relevance.label == "fully"
    assert missing.question == "so " + QUESTIONS["market share"].lower()  # the text the judge saw
    # both judges see the styled text, the one that is kept
    assert all(t.inputs["question"].startswith("so ") for t in engine.texts("generality"))
    assert all(t.inputs["question"].startswith("so ") for t in engine.texts("relevance"))


def test_near_duplicate_questions_are_rejected_naming_the_kept_one(minilm):
    written = {
        "break fee": "What is the Harbor break fee?",
        "termination payment": "How large is the Harbor break fee?",
        "review deadline": "When does the Harbor competition review end?",
    }
    engine = ScriptedEngine({"question": lambda t: written[t.inputs["interest"]]})
    program = build_program(minilm, question_dedup_threshold=0.92)
    out = run_program(program, engine, CHUNK, LAWYER, interests=list(written))
    assert [r.interest for r in out.records] == ["break fee", "review deadline"]
    (dup,) = out.rejections
    kept = out.records[0]
    assert dup.stage == "dedup"
    assert dup.reason == f"near-duplicate of {kept.question_id}"
    assert dup.question == "styled: How large is the Harbor break fee?"  # the final text: what was compared
    assert dup.interest == "termination payment"
    assert dup.question_id == question_id(CHUNK, LAWYER, "termination payment", "extractive")
    assert engine.calls["relevance"] == 3  # judged first: a question is a repeat only of a kept one


def test_dedup_threshold_one_keeps_paraphrases(minilm):
    written = {
        "break fee": "What is the Harbor break fee?",
        "termination payment": "How large is the Harbor break fee?",
    }
    engine = ScriptedEngine({"question": lambda t: written[t.inputs["interest"]]})
    out = run_program(
        build_program(minilm, question_dedup_threshold=1.0), engine, CHUNK, LAWYER, interests=list(written)
    )
    assert len(out.records) == 2 and not out.rejections


# -- kept records -------------------------------------------------------------------------------


def test_kept_record_has_complete_provenance(bow):
    engine = engine_for(
        ["break fee"],
        question_types=["extractive"],
        relevance={"sentences": [1], "answer": "40 million euros", "verdict": "fully"},
        generality=("insightful", "specific to the merger"),
        writing_style={"length": "full sentences", "tone": "formal", "wording": "legal terms"},
        styled_question=lambda t: "Kindly state how big the harbor break fee is?",
    )
    out = run_program(build_program(bow), engine, CHUNK, LAWYER)
    (record,) = out.records
    assert record.question_id == question_id(CHUNK, LAWYER, "break fee", "extractive")
    assert record.question == "Kindly state how big the harbor break fee is?"
    assert record.original_question == QUESTIONS["break fee"]
    assert record.persona == "lawyer"
    assert record.interest == "break fee"
    assert record.question_type == "extractive"
    assert (record.chunk_id, record.doc_id) == ("merger#c0", "merger")
    assert (record.relevance.label, record.relevance.reason) == ("fully", "answered blind: 40 million euros")
    assert (record.generality.label, record.generality.reason) == (
        "insightful",
        "",
    )  # a pass's reason is left out
    assert out.rejections == []
    # each stage saw what the previous one produced
    (rewrite,) = engine.texts("styled_question")
    assert rewrite.inputs == {
        "question": QUESTIONS["break fee"],
        "persona": f"lawyer: {LAWYER.description}",
        "examples": "(none)",
        "style": "one complete question in other words; formal and precise; legal terms",
        "language": "English",
    }
    # the answer the question was written for ("The break fee is 40 million euros."), given back by the blind
    # judge in fewer words, which are kept, and its sentence, cut from the chunk text with its offsets
    assert record.answer == "40 million euros"
    (span,) = record.evidence
    assert CHUNK.text[span.start : span.end] == span.text == "The break fee is 40 million euros."
    assert span.chunk_id == CHUNK.chunk_id
    (judged,) = engine.texts("relevance")
    assert judged.inputs["question"] == "Kindly state how big the harbor break fee is?"
    assert judged.inputs["passage"].startswith(
        CHUNK.title + "\n\n[1] The break fee is 40 million euros.\n[2] "
    )


def test_question_ids_are_stable_across_program_instances(bow):
    first = run_program(build_program(bow), engine_for(["break fee", "market share"]), CHUNK, LAWYER)
    again = run_program(build_program(bow), engine_for(["break fee", "market share"]), CHUNK, LAWYER)
    assert [r.question_id for r in first.records] == [r.question_id for r in again.records]
    assert len({r.question_id for r in first.records}) == 2
    other_persona = run_program(build_program(bow), engine_for(["break fee", "market share"]), CHUNK, PARENT)
    assert {r.question_id for r in other_persona.records}.isdisjoint(r.question_id for r in first.records)


def test_writing_style_is_derived_once_per_persona(bow):
    """Each persona's style is derived once and every question is rewritten by the LM in it; letter case
    is applied by code when the description asks for lowercase."""
    choices = {
        "lawyer": {"length": "full sentences", "tone": "formal", "wording": "legal terms"},
        "parent": {"length": "short and quick", "tone": "casual", "wording": "everyday words"},
    }
    engine = engine_for(
        ["break fee", "market share"],
        writing_style=lambda t: choices[t.inputs["persona"].split(":")[0]],
        styled_question=lambda t: f"({t.inputs['style'].split()[0]}) {t.inputs['question']}",
    )
    program = build_program(bow)
    records = []
    with lm_context(make_lm(engine)):
        for chunk in CHUNKS:
            for persona in (LAWYER, PARENT):
                records += program(chunk=chunk, persona=persona).records
    assert len(records) == len(CHUNKS) * 2 * 2
    assert engine.calls["writing_style"] == 2
    assert engine.calls["styled_question"] == len(records)
    for record in records:
        opener = "(one) " if record.persona == "lawyer" else "(at) "
        assert record.question.lower() == (opener + record.original_question).lower()
        assert record.question.islower() == (record.persona == "parent")  # "all lowercase" applied by code


def test_style_choices_set_in_the_persona_are_used_and_only_the_others_derived(bow):
    """A persona whose style sets all three choices costs no describe call; a partly set style is
    completed by the LM's choices, the set ones winning."""
    derived = {"length": "keywords only", "tone": "casual", "wording": "everyday words"}
    full = LAWYER.model_copy(
        update={"style": PersonaStyle(length="full sentences", tone="formal", wording="legal terms")}
    )
    engine = engine_for(
        ["break fee"],
        writing_style=derived,
        styled_question=lambda t: (
            ("Formally, " if "formal and precise" in t.inputs["style"] else "") + t.inputs["question"].lower()
        ),
    )
    (record,) = run_program(build_program(bow), engine, CHUNK, full).records
    assert engine.calls["writing_style"] == 0
    assert record.question == "Formally, " + QUESTIONS["break fee"].lower()  # rewritten in the set style
    partial = LAWYER.model_copy(update={"style": PersonaStyle(length="full sentences")})
    with lm_context(make_lm(engine)):
        assert PersonaStylist().choices(partial) == {**derived, "length": "full sentences"}
    assert engine.calls["writing_style"] == 1


def test_a_persona_file_with_an_unknown_style_choice_is_one_clear_error(tmp_path):
    from personaqa.programs.core.errors import InputError
    from personaqa.programs.corpus.personas import load_personas

    path = tmp_path / "personas.yaml"
    path.write_text("- name: a\n  description: d\n  style: {length: essay}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"persona #1: field 'style.length': Input should be"):
        load_personas(path)
    path.write_text("- name: a\n  description: d\n  style: formal and short\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"field 'style': must be a mapping such as \{length: short and quick"
    ):
        load_personas(path)
    path.write_text("- name: a\n  description: d\n  style: {length: keywords only}\n", encoding="utf-8")
    assert load_personas(path)[0].style == PersonaStyle(length="keywords only")


# -- failures -----------------------------------------------------------------------------------


def test_invalid_json_for_one_question_is_an_lm_error_and_the_run_continues(bow):
    engine = engine_for(["break fee", "weather policy", "market share"])
    engine.fail("relevance", "invalid_json", when=lambda t: "weather" in t.inputs["question"])
    out = run_program(build_program(bow), engine, CHUNK, LAWYER)
    assert [r.interest for r in out.records] == ["break fee", "market share"]
    (error,) = out.rejections
    assert error.stage == "lm_error"
    assert error.interest == "weather policy"
    assert error.reason.startswith("relevance: ")
    assert error.question == "styled: " + QUESTIONS["weather policy"]
    assert engine.calls["relevance"] == 3


def test_exception_in_style_rewrite_rejects_only_that_question(bow):
    engine = engine_for(["break fee", "market share"])
    engine.fail("styled_question", "raise", when=lambda t: "market share" in t.inputs["question"])
    out = run_program(build_program(bow), engine, CHUNK, LAWYER)
    assert [r.interest for r in out.records] == ["break fee"]
    (error,) = out.rejections
    assert (error.stage, error.interest) == ("lm_error", "market share")
    assert error.reason.startswith("style: ")
    assert error.relevance is None and error.generality is None  # styled first: never judged
    assert engine.calls["relevance"] == 1


def test_failed_question_writing_is_rejected_without_a_question(bow):
    engine = engine_for(["break fee", "market share"])
    engine.set(
        "question", lambda t: INVALID_JSON if t.inputs["interest"] == "market share" else question_for(t)
    )
    out = run_program(build_program(bow, question_types={"extractive": "a fact"}), engine, CHUNK, LAWYER)
    assert [r.interest for r in out.records] == ["break fee"]
    (error,) = out.rejections
    assert (error.stage, error.interest, error.question_type, error.question) == (
        "lm_error",
        "market share",
        "extractive",
        "",
    )
    assert error.question_id == question_id(CHUNK, LAWYER, "market share", "extractive")


def test_failed_type_selection_rejects_that_interest_only(bow):
    engine = engine_for(["break fee", "market share"])
    engine.set(
        "question_types",
        lambda t: (
            Raise(RuntimeError("server hiccup")) if t.inputs["interest"] == "break fee" else ["extractive"]
        ),
    )
    out = run_program(build_program(bow, type_selection="lm"), engine, CHUNK, LAWYER)
    assert [r.interest for r in out.records] == ["market share"]
    (error,) = out.rejections
    assert (error.stage, error.interest) == ("lm_error", "break fee")
    assert error.reason.startswith("question_types: ") and "server hiccup" in error.reason


def test_failed_interest_extraction_rejects_the_unit(bow):
    engine = engine_for(["break fee"])
    engine.fail("interests", "invalid_json")
    out = run_program(build_program(bow), engine, CHUNK, LAWYER)
    assert out.records == [] and out.interests == []
    (error,) = out.rejections
    assert error.stage == "lm_error" and error.reason.startswith("interests: ")
    assert (error.chunk_id, error.persona) == (CHUNK.chunk_id, "lawyer")
    assert engine.total_calls == 1


@pytest.mark.parametrize(
    "error",
    [
        dspy.LMAuthError("bad key"),
        dspy.LMTransportError("connection refused"),
        dspy.LMBillingError("quota exhausted"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_unusable_endpoint_stops_the_unit(bow, error):
    engine = engine_for(["break fee"])
    engine.set("relevance", Raise(error))
    with pytest.raises(LMUnavailableError, match="relevance"):
        run_program(build_program(bow), engine, CHUNK, LAWYER)


@pytest.mark.parametrize(
    "error", [dspy.LMTimeoutError("timed out"), dspy.LMRateLimitError("429")], ids=lambda e: type(e).__name__
)
def test_timeouts_and_rate_limits_stop_the_unit(bow, error):
    engine = engine_for(["break fee"])
    engine.set("relevance", Raise(error))
    with pytest.raises(LMUnavailableError):
        run_program(build_program(bow), engine, CHUNK, LAWYER)


# -- usage and judge LM -------------------------------------------------------------------------


def test_usage_ledger_matches_engine_calls_per_stage(bow):
    engine = ScriptedEngine(
        {
            "interests": ["break fee", "review deadline", "market share"],
            "question_types": ["extractive", "comparative"],
            "question": lambda t: f"{QUESTIONS[t.inputs['interest']]} ({t.inputs['question_type'][:5]})",
            "relevance": relevance_by_question,
        },
        input_tokens=13,
        output_tokens=4,
    )
    engine.fail(
        "generality",
        "invalid_json",
        when=lambda t: "market share" in t.inputs["question"] and "abstr" in t.inputs["question"],
    )
    program = build_program(bow, max_types_per_interest=2)
    with lm_context(make_lm(engine)):
        outs = [program(chunk=CHUNK, persona=p) for p in (LAWYER, PARENT)]
    ledger = outs[0].usage
    ledger.merge(outs[1].usage)
    expected = engine.calls_by_stage()
    assert {stage: usage.calls for stage, usage in ledger.stages.items() if usage.calls} == dict(expected)
    assert expected["style"] == engine.calls["writing_style"] + engine.calls["styled_question"]
    for usage in ledger.stages.values():
        assert usage.input_tokens == 13 * usage.calls
        assert usage.output_tokens == 4 * usage.calls
    assert ledger.total().calls == engine.total_calls
    assert any(r.stage == "lm_error" for o in outs for r in o.rejections)


def test_judge_lm_gets_the_judge_calls(bow):
    task = engine_for(["break fee", "weather policy"], name="task")
    task.set("relevance", Raise(AssertionError("task LM must not judge relevance")))
    task.set("generality", Raise(AssertionError("task LM must not judge generality")))
    judge = ScriptedEngine({"relevance": relevance_by_question}, name="judge")
    program = build_program(bow, judge_lm=make_lm(judge, "judge-model"))
    out = run_program(program, task, CHUNK, LAWYER)
    assert [r.interest for r in out.records] == ["break fee"]
    assert [r.stage for r in out.rejections] == ["relevance"]
    assert task.calls["relevance"] == task.calls["generality"] == 0
    assert judge.calls["relevance"] == 2 and judge.calls["generality"] == 1
    assert set(judge.calls) == {"relevance", "generality"}
    assert task.calls["question"] == 2 and task.calls["styled_question"] == 2
    assert out.usage.stages["relevance"].calls == 2
    assert out.usage.stages["generality"].calls == 1


def test_without_judge_lm_the_task_lm_judges(bow):
    engine = engine_for(["break fee"])
    run_program(build_program(bow), engine, CHUNK, LAWYER)
    assert engine.calls["relevance"] == engine.calls["generality"] == 1


def test_a_styled_text_must_still_ask_unless_the_persona_types_keywords(bow):
    """A rewrite that answers instead of asking is not kept: the question as written stands in. A keyword
    persona's query of 3+ words needs no question mark."""
    answer = lambda t: "if the purifier rattles, check the filter and replace it"
    engine = engine_for(["break fee"], styled_question=answer)
    out = run_program(build_program(bow), engine, CHUNK, LAWYER)
    assert [r.question for r in out.records] == [QUESTIONS["break fee"]] and out.rejections == []
    keywords = {"length": "keywords only", "tone": "casual", "wording": "everyday words"}
    engine = engine_for(["break fee"], writing_style=keywords, styled_question="Harbor merger break fee")
    (record,) = run_program(build_program(bow), engine, CHUNK, LAWYER).records
    assert record.question == "Harbor merger break fee"


@pytest.mark.parametrize(
    "length", ["long and detailed", "short and quick", "keywords only", "full sentences"]
)
def test_every_style_is_the_lms_rewrite_with_no_code_made_text(bow, length):
    """No opener or word pick is composed by code: each style is one rewrite call, and the kept text is
    the rewrite itself (a code-made "Regarding X, ..." made two personas read the same)."""
    style = {"length": length, "tone": "formal", "wording": "legal terms"}
    engine = engine_for(["break fee"], writing_style=style)
    (record,) = run_program(build_program(bow), engine, CHUNK, LAWYER).records
    assert record.question == "styled: " + QUESTIONS["break fee"]
    assert engine.calls["styled_question"] == 1
    assert not record.question.startswith("Regarding")


def test_a_persona_with_example_questions_is_written_in_their_voice_without_a_rewrite(bow):
    """The writer sees the persona's examples and writes in their form; no rewrite call is made (the 1.5B
    model returned such questions unchanged), and letter case still follows the description."""
    examples = ("how do i reset the monitor", "is the car seat cover ok in the washer")
    parent = PARENT.model_copy(update={"examples": examples})
    engine = engine_for(["break fee"])
    (record,) = run_program(build_program(bow), engine, CHUNK, parent).records
    (text,) = engine.texts("question")
    assert text.inputs["examples"] == "- how do i reset the monitor\n- is the car seat cover ok in the washer"
    assert engine.calls["styled_question"] == 0
    assert record.question == QUESTIONS["break fee"].lower()


def test_a_written_question_that_repeats_an_example_is_rejected_as_written(bow):
    example = "What is the break fee in the Harbor merger?"
    lawyer = LAWYER.model_copy(update={"examples": (example,)})
    out = run_program(build_program(bow), engine_for(["break fee"]), CHUNK, lawyer)
    assert out.records == []
    assert [(r.stage, "repeats the example question" in r.reason) for r in out.rejections] == [
        ("generation", True)
    ]


def test_a_rewrite_that_repeats_an_example_question_is_never_kept(bow):
    """Shown example questions, a small model sometimes returns one of them for an unrelated passage; the
    question as written stands in for such a rewrite."""
    example = "What remedies did the regulator impose on Baltic Rail?"
    lawyer = LAWYER.model_copy(update={"examples": (example,)})
    engine = engine_for(["break fee"], styled_question=example)
    (record,) = run_program(build_program(bow), engine, CHUNK, lawyer).records
    assert record.question == QUESTIONS["break fee"] != example


@pytest.mark.parametrize(
    "styled",
    [
        "What is the break fee in the merger?",  # drops the name Harbor
        "Is the break fee in the Harbor merger 40 million euros?",  # gives away the answer
    ],
)
def test_a_rewrite_that_drops_a_name_or_gives_the_answer_away_falls_back(bow, styled):
    engine = engine_for(["break fee"], styled_question=styled)
    (record,) = run_program(build_program(bow), engine, CHUNK, LAWYER).records
    assert record.question == QUESTIONS["break fee"]


def test_style_that_repeats_the_persona_is_never_kept(bow):
    """A leaking rewrite falls back to the question as written; a question that leaks as written too is
    rejected at `style`."""
    leaked = lambda t: t.inputs["question"] + " The lawyer asks formal questions."
    engine = engine_for(["break fee"], styled_question=leaked)
    out = run_program(build_program(bow), engine, CHUNK, LAWYER)
    assert [r.question for r in out.records] == [QUESTIONS["break fee"]] and out.rejections == []
    engine = engine_for(
        ["break fee"],
        styled_question=leaked,
        question=lambda t: "What break fee would a competition lawyer expect in the Harbor merger?",
    )
    out = run_program(build_program(bow), engine, CHUNK, LAWYER)
    assert out.records == []
    (rejection,) = out.rejections
    assert rejection.stage == "style" and "names the persona ('lawyer')" in rejection.reason
    assert "as written it names the persona" in rejection.reason


@pytest.mark.parametrize(
    "judged, problem",
    [
        (
            {"sentences": [1], "answer": "55 million euros", "verdict": "fully"},
            "the answer's 55 is not in the cited",
        ),
        (
            {"sentences": [1], "answer": "a modest fee agreed between friendly parties", "verdict": "fully"},
            "content words",
        ),
        ({"sentences": [], "answer": "55 million euros", "verdict": "fully"}, "cites no sentence"),
        ({"sentences": [1], "answer": "the break fee", "verdict": "fully"}, "only repeats the question"),
    ],
)
def test_a_fully_verdict_whose_answer_no_sentence_holds_is_rejected_at_evidence(bow, judged, problem):
    out = run_program(build_program(bow), engine_for(["break fee"], relevance=judged), CHUNK, LAWYER)
    assert out.records == []
    (rejection,) = out.rejections
    assert rejection.stage == "evidence" and problem in rejection.reason


@pytest.mark.parametrize("numbers", [[2], []])
def test_a_right_answer_citing_a_wrong_or_no_sentence_keeps_the_sentence_that_holds_it(bow, numbers):
    judged = {"sentences": numbers, "answer": "40 million euros", "verdict": "fully"}
    (record,) = run_program(
        build_program(bow), engine_for(["break fee"], relevance=judged), CHUNK, LAWYER
    ).records
    assert [e.text for e in record.evidence] == ["The break fee is 40 million euros."]


# -- points of interest: sentences of the chunk ------------------------------------------------


def _allowed_sentences(engine: ScriptedEngine) -> list[int]:
    """The sentence numbers the last interests call offered (one anyOf alternative each)."""
    schema = engine.schema("interests")
    return sorted(point["properties"]["sentence"]["const"] for point in schema["$defs"].values())


def test_a_topic_is_a_phrase_of_its_own_sentence_by_grammar(bow):
    """Each offered sentence is one alternative of the schema: its number, and as topic one of its own
    phrases (1-4 consecutive words, no function word at either end), so a topic cannot name something
    its sentence does not say."""
    from personaqa.programs.recipe.phrases import sentence_phrases

    engine = engine_for(["break fee"])
    run_program(build_program(bow), engine, CHUNK, LAWYER)
    schema = engine.schema("interests")
    points = {
        p["properties"]["sentence"]["const"]: p["properties"]["topic"] for p in schema["$defs"].values()
    }
    assert len(schema["properties"]["interests"]["items"]["anyOf"]) == 3
    assert points[1]["enum"] == list(sentence_phrases("The break fee is 40 million euros."))
    assert {"break fee", "40 million euros", "break fee is 40"} <= set(points[1]["enum"])
    assert not {"The break", "fee is", "is"} & set(points[1]["enum"])


def test_a_topic_does_not_cut_a_name():
    from personaqa.programs.recipe.phrases import sentence_phrases

    phrases = set(sentence_phrases("Harbor Analytics and Vessel Systems run the Port Authority software."))
    assert {
        "Harbor Analytics",
        "Vessel Systems",
        "Port Authority",
        "Port Authority software",
        "software",
    } <= phrases
    assert (
        not {
            "Harbor",
            "Analytics and Vessel",
            "Harbor Analytics and Vessel",
            "Vessel",
            "Systems run",
            "Authority software",
        }
        & phrases
    )


def test_interests_pick_sentences_and_the_writer_gets_the_sentence(bow):
    engine = engine_for(["break fee", "review deadline"])
    out = run_program(build_program(bow), engine, CHUNK, LAWYER)
    assert out.interests == ["break fee", "review deadline"]
    sent = [t.inputs["sentence"] for t in engine.texts("question")]
    assert sent == ["The break fee is 40 million euros.", "The review deadline is 30 June 2026."]
    assert "\n[1] The break fee" in engine.texts("interests")[0].inputs["passage"]  # numbered sentences
    assert engine.schema("interests")["properties"]["interests"]["maxItems"] == 3 + 1  # max_interests + 1


def test_a_heading_or_fragment_is_not_offered_as_a_point_of_interest():
    from personaqa.programs.recipe.generation import askable_sentences

    assert askable_sentences(
        "# Harbor merger\n\nThe break fee is 40 million euros. Yes. It ends in June 2026."
    ) == [2, 4]
    assert askable_sentences("Short one.") == [1]  # nothing qualifies: every sentence may be picked
    assert askable_sentences("# X widget\nThe X widget ships in March 2026.") == [1]  # heading joined to it


def test_each_persona_is_offered_its_own_share_of_the_sentences():
    """Sentences are dealt to personas by position (every P-th askable one), when that leaves a persona
    enough to pick from; else all, its own first. Fixed by position: the same with any worker count."""
    from personaqa.programs.recipe.generation import offered_sentences

    askable = [2, 3, 4, 5, 6, 7, 8]
    assert [offered_sentences(askable, (i, 3), 2) for i in range(3)] == [(2, 5, 8), (3, 6), (4, 7)]
    assert offered_sentences(askable, (1, 3), 3) == (3, 6, 2, 4, 5, 7, 8)  # too few of its own
    assert offered_sentences(askable, None, 3) == tuple(askable)


def test_the_persona_slot_reaches_the_interests_schema(bow):
    engine = engine_for(["break fee", "review deadline", "market share"])
    program = build_program(bow, max_interests=1)
    offered = []
    with lm_context(make_lm(engine)):
        for position in range(3):
            program(chunk=CHUNK, persona=LAWYER, persona_slot=(position, 3))
            offered.append(_allowed_sentences(engine))
    assert offered == [[1], [2], [3]]
