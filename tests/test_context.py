"""The context stage: a question naming nothing of its document is given the name by the LM under a
response pattern, or rejected; and the answer checks that keep a figure whole and a figure for a figure
(scripted LM)."""

from __future__ import annotations

import json
import re

import pytest
from fakes import BagOfWordsEmbedder, ScriptedEngine, build_program, run_program
from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.recipe.checks.answers import answer_problem, figure_only, whole_answer
from personaqa.programs.recipe.context import name_forms, naming_pattern, naming_problem
from personaqa.signatures.types import ASKED_QUESTION_PATTERN

TITLE = "Riverside Primary after-school club: a guide for parents"
CHUNK = Chunk(
    chunk_id="club#c0",
    doc_id="club",
    title=TITLE,
    text=f"# {TITLE}\n\nThe club runs every school day from 3.15 pm to 6 pm in the school hall. After "
    "6.15 pm a late fee of 5 pounds is charged for each 15 minutes. Children may stay three days a "
    "week.",
    start=0,
)
PARENT = Persona(name="parent", description="A busy parent who types short questions.")
VAGUE = "What time does the club meet each school day?"


def run(named=None, question=VAGUE, chunk=CHUNK, interest="school day"):
    scripted = {
        "interests": [interest],
        "question": {"answer": "from 3.15 pm to 6 pm", "question": question},
        "relevance": {"sentences": [2], "answer": "3.15 pm to 6 pm", "verdict": "fully"},
    }
    if named is not None:
        scripted["named_question"] = named
    engine = ScriptedEngine(scripted)
    return run_program(build_program(BagOfWordsEmbedder()), engine, chunk, PARENT), engine


def test_a_question_naming_nothing_of_its_document_is_given_the_name_and_judged_as_named():
    named = "What time does the Riverside Primary club meet each school day?"
    out, engine = run(named=named)
    (record,) = out.records
    assert record.original_question == named and record.question == "styled: " + named  # then styled
    assert engine.calls_by_stage()["context"] == 1
    assert [t.inputs["question"] for t in engine.texts("relevance")] == [
        "styled: " + named
    ]  # named, then styled
    schema = engine.schema("named_question")["properties"]["named_question"]
    assert re.search(schema["pattern"], named) and not re.search(schema["pattern"], VAGUE)


def test_a_question_that_names_its_document_makes_no_context_call():
    out, engine = run(question="What time does the Riverside Primary club meet each school day?")
    assert len(out.records) == 1 and engine.calls_by_stage()["context"] == 0


@pytest.mark.parametrize(
    "named, reason",
    [
        ("What does the Riverside Primary club cost?", "changes what the question asks"),
        ("What time does the club meet each school day?", "names none of"),
        (
            "What time does the Riverside Primary club meet each school day, from 3.15 pm to 6 pm?",
            "gives away the answer",
        ),
    ],
)
def test_a_naming_that_loses_the_question_or_names_nothing_is_rejected_at_context(named, reason):
    out, engine = run(named=named)
    assert out.records == []
    (rejection,) = out.rejections
    assert rejection.stage == "context" and reason in rejection.reason
    assert engine.calls_by_stage()["relevance"] == 0  # no judge call for it


def test_a_title_without_a_name_rejects_the_question_without_an_lm_call():
    chunk = CHUNK.model_copy(update={"title": "A guide for parents"})
    out, engine = run(question="What time does the club open each school day?", chunk=chunk)
    assert [r.stage for r in out.rejections] == ["context"]
    assert engine.calls_by_stage()["context"] == 0


def test_the_naming_pattern_compiles_to_a_llama_cpp_grammar():
    """llama.cpp's pattern grammar has no `(?:`; a pattern it cannot compile leaves the call unconstrained."""
    for pattern in (naming_pattern(VAGUE, TITLE), ASKED_QUESTION_PATTERN):
        schema = {
            "type": "object",
            "properties": {"q": {"type": "string", "pattern": pattern}},
            "required": ["q"],
        }
        LlamaGrammar.from_string(json_schema_to_gbnf(json.dumps(schema)), verbose=False)


def test_the_naming_pattern_wants_a_title_name_and_no_subtitle():
    pattern = naming_pattern(VAGUE, TITLE)
    assert name_forms(TITLE) == ["Riverside", "riverside", "Primary", "primary"]
    assert re.fullmatch(pattern, "What time does the Riverside Primary club meet each school day?")
    assert re.fullmatch(pattern, "what time does the riverside club meet?")
    assert not re.fullmatch(
        pattern, "What time does the club meet at Riverside Primary after-school club: a guide?"
    )
    assert not re.fullmatch(pattern, VAGUE)
    assert naming_pattern(VAGUE, "A guide for parents") is None


def test_naming_problem_keeps_names_and_words():
    assert (
        naming_problem(
            "When is the Riverside fee due at Northwind?", "When is the fee due at Northwind?", TITLE
        )
        is None
    )
    assert "drops 'Northwind'" in naming_problem(
        "When is the Riverside fee due?", "When is the fee due at Northwind?", TITLE
    )


@pytest.mark.parametrize(
    "answer, whole",
    [
        ("5 pounds", "5 pounds is charged for each 15 minutes"),  # the rate it is charged at
        ("three days", "three days a week"),  # a number word
        ("3.15 pm", "3.15 pm"),  # no rate follows
        ("the school hall", "the school hall"),  # no figure
        ("10 pounds", "10 pounds"),  # not in the chunk
    ],
)
def test_an_amount_keeps_the_rate_the_chunk_gives_it(answer, whole):
    assert whole_answer(answer, CHUNK.text) == whole


@pytest.mark.parametrize(
    "answer, figure",
    [
        ("11 million euros a year", True),
        ("on 9 October 2025", True),
        ("30 percent", True),
        ("three days per week", True),
        ("the department head", False),
        ("5 pounds is charged", False),
    ],
)
def test_figure_only(answer, figure):
    assert figure_only(answer) is figure


@pytest.mark.parametrize(
    "question, problem",
    [
        ("What will the council's change in Metro City bus fares affect?", "bare figure"),
        ("Who decides on fully remote work at Northwind Labs?", "bare figure"),
        ("What will the new Metro City fare structure cost the city?", None),  # a verb of paying
        ("What is the break fee Vessel Systems is owed?", None),  # asks for a fee
        ("When will the new Metro City fares start?", None),
        ("How much will Metro City raise a year?", None),
    ],
)
def test_a_bare_figure_answers_only_a_question_for_a_figure(question, problem):
    found = answer_problem(
        "11 million euros a year", question, "The change will raise 11 million euros a year."
    )
    assert (found is None) if problem is None else (problem in found)


def test_the_naming_pattern_takes_a_name_only_as_a_whole_word():
    pattern = naming_pattern(
        "What share would the merged operator control?",
        "Harbor Analytics and Vessel Systems merger under review",
    )
    assert re.fullmatch(pattern, "What share would Harbor Analytics control?")
    assert not re.fullmatch(pattern, "What share would the merged operator control, analyticservices.com?")


@pytest.mark.parametrize(
    "question, inverted",
    [
        ("When was the Competition Authority fined for sharing prices?", True),
        ("When were Northsea Ferries fined by the Competition Authority?", False),  # as the chunk says
        ("When did the Competition Authority fine Northsea Ferries?", False),
    ],
)
def test_a_question_that_inverts_who_did_what_is_rejected_as_written(question, inverted):
    chunk = CHUNK.model_copy(
        update={
            "text": "On 9 October 2025 the Competition Authority fined Northsea Ferries "
            "51 million euros for sharing planned ticket prices."
        }
    )
    out, _ = run(question=question, chunk=chunk, interest="ticket prices")
    rejected = [r for r in out.rejections if r.stage == "generation" and "inverts who did what" in r.reason]
    assert bool(rejected) is inverted


def test_a_written_question_repeating_an_example_is_rejected_before_any_other_call():
    example = "What time does the Riverside Primary club meet each school day?"
    persona = PARENT.model_copy(update={"examples": (example,)})
    engine = ScriptedEngine(
        {"interests": ["school day"], "question": {"answer": "from 3.15 pm to 6 pm", "question": example}}
    )
    out = run_program(build_program(BagOfWordsEmbedder()), engine, CHUNK, persona)
    assert [(r.stage, "repeats the example question" in r.reason) for r in out.rejections] == [
        ("generation", True)
    ]
    assert engine.calls_by_stage()["relevance"] == 0


@pytest.mark.parametrize(
    "intended, judged, kept",
    [
        ("5 pounds is charged for each 15 minutes", "5 pounds", "5 pounds is charged for each 15 minutes"),
        ("5 pounds", "5 pounds", "5 pounds is charged for each 15 minutes"),  # whole_answer adds the rate
        (
            "After 6.15 pm a late fee of 5 pounds is charged for each 15 minutes.",
            "5 pounds for each 15 minutes",
            "5 pounds for each 15 minutes",
        ),  # a copied sentence gives way to the judge's shorter answer
        (
            "After 6.15 pm a late fee of 5 pounds is charged for each 15 minutes.",
            "5 pounds",
            "5 pounds is charged for each 15 minutes",
        ),  # ... which keeps the rate its chunk gives it
    ],
)
def test_the_judges_shorter_answer_replaces_only_a_copied_sentence(intended, judged, kept):
    engine = ScriptedEngine(
        {
            "interests": ["late fee"],
            "question": {"answer": intended, "question": "How much is the Riverside Primary late fee?"},
            "relevance": {"sentences": [3], "answer": judged, "verdict": "fully"},
        }
    )
    out = run_program(build_program(BagOfWordsEmbedder()), engine, CHUNK, PARENT)
    assert [r.answer for r in out.records] == [kept]


def test_a_naming_that_copies_the_title_is_rejected():
    title = "Metro City bus fares to rise from April 2026"
    question = "What are the two types of passes?"
    assert "copies its document's title" in naming_problem(
        "What are the two types of passes at the Metro City bus fares to rise from April 2026?",
        question,
        title,
    )
    assert naming_problem("What are the two types of Metro City bus passes?", question, title) is None
    manual = "AeroFlow 300 air purifier: user manual (excerpt)"
    assert (
        naming_problem(
            "What do error codes E2 and E5 mean on the AeroFlow 300 air purifier?",
            "What do error codes E2 and E5 mean?",
            manual,
        )
        is None
    )  # the product's name


@pytest.mark.parametrize(
    "question, flagged",
    [
        ("How long will the cap on maintenance fees last at HarborOne?", True),
        ("How long a cap on maintenance fees does the association want for HarborOne?", False),
        ("What cap on maintenance fees did the association ask for?", False),
    ],
)
def test_a_question_asking_as_a_fact_what_its_sentence_only_proposes_is_rejected(question, flagged):
    from personaqa.programs.recipe.checks.answers import asked_as_fact

    sentence = "It also wants a cap on maintenance fees for at least seven years."
    assert (asked_as_fact(question, sentence) is not None) is flagged
    assert asked_as_fact(question, "The cap on maintenance fees lasts seven years.") is None
