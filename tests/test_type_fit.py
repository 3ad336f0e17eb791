"""Sampled question types fit the sentence a question is anchored on (programs/recipe/type_fit.py)."""

from __future__ import annotations

import pytest
from fakes import BagOfWordsEmbedder, ScriptedEngine, build_program, run_program
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.recipe.type_fit import fitting_types, supports

REVIEW = "Requests for fully remote work are decided by the department head and reviewed every twelve months."
PAY = (
    "The company pays a one-time home office allowance of 600 euros and a monthly internet stipend of "
    "30 euros."
)
PROPERTY = "Equipment bought with the allowance remains the employee's property."
OBJECTION = "Its members say the merged company would control the terminal scheduling software at 14 of them."
RESET = "If the sensor light stays red, hold the filter button for three seconds to reset it."


@pytest.mark.parametrize(
    "sentence, fitting",
    [
        # the three sentences whose sampled types gave the wrong or weak questions of three sample runs
        (
            REVIEW,
            ["extractive", "abstractive"],
        ),  # "decided by ... and reviewed": no list, cause or comparison
        (PAY, ["extractive", "abstractive", "aggregative", "comparative"]),  # two amounts, no cause
        (PROPERTY, ["extractive", "abstractive"]),
        (OBJECTION, ["extractive", "abstractive", "sentiment"]),
        (RESET, ["extractive", "abstractive", "diagnostic"]),
    ],
)
def test_a_sentence_supports_the_types_it_can_answer(sentence, fitting):
    types = ["extractive", "abstractive", "diagnostic", "sentiment", "aggregative", "comparative"]
    assert fitting_types(types, sentence) == fitting


def test_custom_types_text_in_other_languages_and_hand_given_interests_keep_every_type():
    assert supports("my_custom_type", PROPERTY)
    assert supports("comparative", "Die Geräte bleiben Eigentum der Mitarbeitenden.")
    assert fitting_types(["comparative", "sentiment"], "") == ["comparative", "sentiment"]


CHUNK = Chunk(
    chunk_id="policy#c0",
    doc_id="policy",
    title="Northwind Labs remote work policy (2026)",
    text=f"# Northwind Labs remote work policy (2026)\n\n{PROPERTY} {PAY}",
    start=0,
)
PERSONA = Persona(name="employee", description="An employee who asks short questions.")


TYPES = ["extractive", "abstractive", "diagnostic", "sentiment", "aggregative", "comparative"]


@pytest.mark.parametrize(
    "weights, asked",
    [
        ({"sentiment": 1.0}, []),  # the only type, which the sentence cannot answer: no question, no call
        ({"sentiment": 100.0, "extractive": 1.0}, ["extractive"]),
    ],
)
def test_an_interest_is_never_asked_a_type_its_sentence_cannot_answer(weights, asked):
    engine = ScriptedEngine(
        {
            "interests": ["employee's property"],
            "question": "Who owns equipment bought with the Northwind Labs allowance?",
        }
    )
    program = build_program(BagOfWordsEmbedder(), type_weights=tuple((t, weights.get(t, 0.0)) for t in TYPES))
    run_program(program, engine, CHUNK, PERSONA)
    texts = engine.texts("question")
    assert len(texts) == len(asked)
    assert all(f"{t}:" in text and "sentiment" not in text for t, text in zip(asked, texts, strict=True))
