"""Answer-first questions: the intended answer's checks, the round trip through the blind judge, a persona
that passes, and dedup that drops a repeat only of a kept question (scripted LM)."""

from __future__ import annotations

import pytest
from fakes import BagOfWordsEmbedder, ScriptedEngine, build_program, run_program
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.recipe.checks.answers import answer_problem, kept_answer, same_answer
from personaqa.programs.recipe.checks.question_form import source_deixis

CHUNK = Chunk(
    chunk_id="ports#c0",
    doc_id="ports",
    title="Port operators object to the HarborOne plan",
    text="# Port operators object to the HarborOne plan\n\nThe association filed a formal objection on "
    "12 March 2026. Five container ports back the objection. The authority will decide by 18 July "
    "2026.",
    start=0,
)
LAWYER = Persona(name="lawyer", description="A competition lawyer who writes formal questions.")


def run(
    bow,
    answer=None,
    question="When did the association file its formal objection to HarborOne?",
    relevance=None,
    **answers,
):
    scripted = {"interests": ["formal objection"], "question": question, **answers}
    if answer is not None:
        scripted["question"] = lambda text: {"answer": answer, "question": question}
    if relevance is not None:
        scripted["relevance"] = relevance
    return run_program(build_program(bow), ScriptedEngine(scripted), CHUNK, LAWYER)


@pytest.fixture
def bow():
    return BagOfWordsEmbedder()


def test_the_kept_answer_is_the_intended_one_when_the_blind_judge_gives_it_back(bow):
    out = run(
        bow,
        answer="on 12 March 2026",
        relevance={"sentences": [2], "answer": "12 March 2026", "verdict": "fully"},
    )
    (record,) = out.records
    assert record.answer == "on 12 March 2026"  # the two agree; the intended answer is no copied sentence
    assert [e.text for e in record.evidence] == ["The association filed a formal objection on 12 March 2026."]
    assert record.relevance.reason == "answered blind: 12 March 2026"


def test_a_question_the_blind_judge_answers_otherwise_is_rejected_at_roundtrip(bow):
    out = run(
        bow,
        answer="on 12 March 2026",
        relevance={"sentences": [4], "answer": "by 18 July 2026", "verdict": "fully"},
    )
    assert out.records == []
    (rejection,) = out.rejections
    assert rejection.stage == "roundtrip" and "18 July 2026" in rejection.reason


def test_the_documents_heading_is_no_answer(bow):
    out = run(
        bow,
        answer="Port operators object to the HarborOne plan",
        question="What are the five container ports?",
    )
    assert [(r.stage, "heading" in r.reason) for r in out.rejections] == [("answer", True)]


def test_a_when_question_answered_without_a_date_is_rejected(bow):
    out = run(bow, answer="The association filed a formal objection")
    assert [(r.stage, "'when'" in r.reason) for r in out.rejections] == [("answer", True)]


def test_an_intended_answer_the_chunk_does_not_hold_is_rejected(bow):
    out = run(
        bow,
        answer="because it will cut licence cost",
        question="Why did the association object to HarborOne?",
    )
    assert [(r.stage, "not in the chunk" in r.reason) for r in out.rejections] == [("answer", True)]


def test_a_question_that_holds_its_own_answer_is_rejected(bow):
    out = run(
        bow, answer="five container ports", question="Do five container ports back the HarborOne objection?"
    )
    assert [(r.stage, "in the question" in r.reason) for r in out.rejections] == [("answer", True)]


def test_a_persona_passes_on_a_chunk_it_has_no_stake_in_without_any_lm_call(bow):
    """Below `persona_stake_threshold` (cosine of the chunk with the centroid of the persona's examples) the
    persona asks nothing; one whose examples share the chunk's words asks. 0 asks every persona, and so
    does a persona without examples."""
    parent = Persona(
        name="parent",
        description="Busy parent typing short lowercase questions.",
        examples=("reset baby monitor",),
    )  # no word of the chunk
    no_examples = Persona(name="other", description="Busy parent typing short lowercase questions.")
    engine = ScriptedEngine({"interests": ["formal objection"]})
    out = run_program(build_program(bow, persona_stake_threshold=0.2), engine, CHUNK, parent)
    assert out.records == [] and out.rejections == [] and out.interests == []
    assert engine.total_calls == 0
    lawyer = LAWYER.model_copy(update={"examples": ("When did the association file its formal objection?",)})
    out = run_program(build_program(bow, persona_stake_threshold=0.2), engine, CHUNK, lawyer)
    assert out.interests == ["formal objection"]
    out = run_program(build_program(bow, persona_stake_threshold=0.0), ScriptedEngine(), CHUNK, parent)
    assert out.interests
    out = run_program(build_program(bow, persona_stake_threshold=0.2), ScriptedEngine(), CHUNK, no_examples)
    assert out.interests  # without examples there is no measure of stake: the persona is asked


def test_dedup_drops_a_repeat_only_of_a_kept_question(bow):
    """Two interests write the same question; the first is rejected by the judge, so the second, its
    repeat, is kept (before, the repeat was dropped before any judge, and the set lost both)."""
    question = "When did the association file its formal objection to HarborOne?"
    first = {"sentences": [2], "answer": "not said", "verdict": "not"}
    kept = {"sentences": [2], "answer": "12 March 2026", "verdict": "fully"}
    calls = iter([first, kept])
    out = run(
        bow,
        answer="12 March 2026",
        question=question,
        relevance=lambda text: next(calls),
        interests=["formal objection", "association"],
    )
    assert [r.original_question for r in out.records] == [question]
    assert [r.stage for r in out.rejections] == ["relevance"]
    both = {"sentences": [2], "answer": "12 March 2026", "verdict": "fully"}
    out = run(
        bow,
        answer="12 March 2026",
        question=question,
        relevance=both,
        interests=["formal objection", "association"],
    )
    assert len(out.records) == 1
    (repeat,) = out.rejections
    assert repeat.stage == "dedup" and repeat.reason == f"near-duplicate of {out.records[0].question_id}"


@pytest.mark.parametrize(
    "answer, question, problem",
    [
        ("", "What is the fee?", "gives no answer"),
        ("x" * 240, "What is the fee?", "cut"),
        ("container港口", "Which ports object?", "script"),
        ("the association", "How many ports back the objection?", "number"),
        ("five", "How many ports back the objection?", None),
        ("every two months", "How often should the filter be descaled?", None),
        ("18 July 2026", "When will the authority decide?", None),
        ("after the second-phase review", "When will the authority decide?", None),
    ],
)
def test_answer_problems(answer, question, problem):
    found = answer_problem(answer, question, CHUNK.text, CHUNK.title, cap=240)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize(
    "intended, judged, same",
    [
        ("18 July 2026", "by 18 July 2026 at the latest", True),
        ("18 July 2026", "by 18 June 2026", False),  # another date
        ("the heater switches off", "it switches off the heater for safety", True),
        ("five container ports", "the association of independent operators", False),
        ("Yes", "yes, it does", True),
        ("every two months", "", False),
        ("74%", "about 74 percent of handled volume", True),
        ("74%", "about 47%", False),
    ],
)
def test_same_answer_compares_content_words_and_numbers(intended, judged, same):
    assert same_answer(intended, judged) is same


@pytest.mark.parametrize(
    "question, flagged",
    [
        ("What is the main focus of the present paper on turbulence?", True),
        ("What did this study find about citation counts?", True),
        ("What does the Kestrel K2 manual say about descaling?", False),
    ],
)
def test_a_question_pointing_at_its_source_is_not_self_contained(question, flagged):
    assert (source_deixis(question) is not None) is flagged


@pytest.mark.parametrize(
    "question, title, flagged",
    [
        ("What is the cost of a full week?", "After-school club: a guide for parents", True),
        ("What time does the club meet?", "After-school club: a guide for parents", False),  # a title word
        (
            "How much does a week at Riverside cost?",
            "After-school club: a guide for parents",
            False,
        ),  # a name
        (
            "What should I do if it rains?",
            "After-school club: a guide for parents",
            True,
        ),  # "I" names nothing
        # a title with a name: the question must hold one of its names
        ("What time does the club meet?", "Riverside Primary after-school club: a guide for parents", True),
        (
            "What does the Riverside club cost a week?",
            "Riverside Primary after-school club: a guide for parents",
            False,
        ),
        (
            "what will happen to the bus fare on 1 April 2026?",
            "Metro City bus fares to rise from April 2026",
            True,
        ),
        ("how much is a monthly pass in metro city?", "Metro City bus fares to rise from April 2026", False),
    ],
)
def test_a_question_naming_nothing_of_its_document_is_not_self_contained(question, title, flagged):
    from personaqa.programs.recipe.checks.question_form import unanchored

    assert (unanchored(question, title) is not None) is flagged


def test_the_names_of_a_title():
    from personaqa.programs.recipe.checks.question_form import title_names

    assert title_names("# AeroFlow 300 air purifier: user manual (excerpt)") == {"aeroflow", "300"}
    assert title_names("Metro City bus fares to rise from April 2026") == {"metro", "city"}
    assert title_names("Ferry operators fined for sharing price plans") == set()
    assert title_names("Harbor Analytics and Vessel Systems merger under review") == {
        "harbor",
        "analytics",
        "vessel",
        "systems",
    }


def test_on_minilm_the_busy_parent_passes_on_a_merger_and_the_lawyer_does_not(embedder):
    """The default threshold separates the sample's personas on the real embedder."""
    from importlib.resources import files

    from personaqa.programs.config import RunConfig
    from personaqa.programs.corpus.personas import load_personas
    from personaqa.programs.recipe.stake import stake

    personas = {
        p.name: p for p in load_personas(str(files("personaqa.programs") / "sample" / "personas.yaml"))
    }
    merger = Chunk(
        chunk_id="m#c0",
        doc_id="m",
        text=(files("personaqa.programs") / "sample" / "docs" / "harbor-vessel-merger.md").read_text(),
        start=0,
    )
    threshold = RunConfig().persona_stake_threshold
    assert (
        stake(merger, personas["busy_parent"], embedder)
        < threshold
        <= stake(merger, personas["competition_lawyer"], embedder)
    )


POLICY = (
    "Requests for fully remote work are decided by the department head and reviewed every twelve months. "
    "Both companies must report to the authority every six months until 2028. The monthly pass goes up "
    "from 58 to 64 euros."
)


@pytest.mark.parametrize(
    "intended, judged, kept",
    [
        # a fragment cut across two clauses gives way to the judge's answer inside it (three sample runs)
        (
            "The department head and reviewed every twelve months",
            "every twelve months",
            "every twelve months",
        ),
        # ... but not when the judge's lacks a number of the intended one
        (
            "report to the authority every six months until 2028",
            "report to the authority every six months.",
            "report to the authority every six months until 2028",
        ),
        # a copied sentence gives way to the judge's shorter answer
        ("The monthly pass goes up from 58 to 64 euros.", "64 euros", "64 euros"),
        # nothing but a preposition around the judge's answer: the intended stands
        ("by the department head", "the department head", "by the department head"),
        # the judge's answer is not a part of the intended one: the intended stands
        ("every twelve months", "once a year", "every twelve months"),
        # the judge's answer cut at its cap is never kept
        ("The department head and reviewed every twelve months", "every twelve months", None),
    ],
)
def test_the_kept_answer_is_the_judges_only_where_it_is_the_core_of_the_intended_one(intended, judged, kept):
    cap = 120 if kept is not None else len(judged) + 5
    assert kept_answer(intended, judged, POLICY, cap) == (kept if kept is not None else intended)
