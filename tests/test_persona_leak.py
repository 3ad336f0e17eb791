"""The leak check on final question texts: persona name, role, description and style never reach the set."""

from __future__ import annotations

import pytest
from personaqa.programs.core.records import Persona
from personaqa.programs.recipe.checks.persona_leak import leak_problem

STUDENT = Persona(
    name="graduate_student",
    description="A graduate student who writes questions in a "
    "textbook style, clear and concise, and cares about methods.",
)
STYLE = "one complete question; plain and neutral; the field's technical terms"


@pytest.mark.parametrize(
    "text, problem",
    [
        (
            (
                "What is the main effect of indexing depth on recall? The graduate student writes questions "
                "in a textbook style"
            ),
            "names the persona",
        ),
        ("As a student, what recall does indexing depth give?", "says who is asking ('a student')"),
        ("Who writes questions in a textbook style about recall?", "repeats the persona description"),
        ("one complete question; plain and neutral", "repeats the style instruction"),
        (
            "How does indexing depth change recall, in the field's technical terms?",
            "repeats the style instruction",
        ),
    ],
)
def test_leaks_are_caught(text, problem):
    assert problem in leak_problem(text, STUDENT, STYLE)


@pytest.mark.parametrize(
    "text",
    [
        "How does indexing depth change recall in the Cranfield experiments?",
        "what did the 1967 study find about term weighting",
        "Which methods did Salton compare for automatic indexing?",  # 'methods' is in the description, alone
    ],
)
def test_ordinary_questions_pass(text):
    assert leak_problem(text, STUDENT, STYLE) is None
