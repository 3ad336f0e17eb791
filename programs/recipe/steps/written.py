"""Steps on a question as written, before any rewrite or judge: its form (stage `generation`), its intended
answer (`answer`), its language (`language`) and whether it says what it is about (`context`)."""

from __future__ import annotations

import dspy
from personaqa.programs.core.records import Rejection
from personaqa.programs.corpus.language import language_problem
from personaqa.programs.recipe.candidate import Candidate
from personaqa.programs.recipe.checks.answers import answer_problem, asked_as_fact
from personaqa.programs.recipe.checks.evidence import restates, supporting
from personaqa.programs.recipe.checks.question_form import (
    form_problem,
    inverted_roles,
    source_deixis,
    unanchored,
    unnamed_subject,
)
from personaqa.programs.recipe.context import naming_problem
from personaqa.programs.recipe.styling import example_repeat
from personaqa.programs.recipe.unit import Unit
from personaqa.signatures.types import MAX_INTENDED_ANSWER

# `program` is the SyntheticEvalProgram walking the chain: its settings, embedder and LM modules.
Program = dspy.Module


def form(program: Program, unit: Unit, candidate: Candidate) -> Rejection | None:
    """A written question that is not one question, inverts who did what in its chunk or repeats one of the
    persona's example questions."""
    if problem := (
        form_problem(candidate.question)
        or inverted_roles(candidate.question, unit.chunk.text)
        or example_repeat(
            candidate.question,
            unit.persona,
            program.embedder,
            program.settings.question_dedup_threshold,
            program.examples,
        )
    ):
        return unit.reject(candidate, "generation", problem)
    return None


def answer(program: Program, unit: Unit, candidate: Candidate) -> Rejection | None:
    """A single-chunk question whose intended answer is no answer, gives itself away or is not in the chunk
    (checks.answers)."""
    if problem := intended_answer_problem(candidate, unit):
        return unit.reject(candidate, "answer", f"answer '{candidate.intended_answer}' {problem}")
    return None


def intended_answer_problem(candidate: Candidate, unit: Unit) -> str | None:
    """Why the intended answer of a single-chunk question cannot stand, or None."""
    if candidate.chunk_ids:
        return None
    chunk = unit.chunk
    answer = candidate.intended_answer
    if problem := answer_problem(
        answer, candidate.question, chunk.text, chunk.title, cap=MAX_INTENDED_ANSWER
    ):
        return problem
    if restates(answer, candidate.question):
        return "is in the question itself"
    if problem := asked_as_fact(candidate.question, candidate.sentence_text):
        return problem
    numbers = [candidate.sentence] if candidate.sentence else []
    _, missing = supporting(answer, numbers, chunk.chunk_id, chunk.text)
    return f"is not in the chunk ({missing})" if missing else None


def language(program: Program, unit: Unit, candidate: Candidate) -> Rejection | None:
    """A written question not in its chunk's language."""
    if problem := language_problem(candidate.question, unit.chunk.text):
        return unit.reject(candidate, "language", problem)
    return None


def context(program: Program, unit: Unit, candidate: Candidate) -> Rejection | None:
    """Whether the question says what it is about (the recipe's missing-context filter): one that asks for
    an unnamed thing's name or points at "this paper" is rejected; one that names nothing of its document is
    given the name by the LM (context.py), and rejected if that rewrite loses the question, names nothing
    still or gives the answer away."""
    question, title = candidate.question, unit.chunk.title
    if problem := (unnamed_subject(question) or source_deixis(question)):
        return unit.reject(candidate, "context", problem)
    if (problem := unanchored(question, title)) is None:
        return None
    named = program.namer(question, title)
    if named is not None:
        answer = candidate.intended_answer
        failure = (
            naming_problem(named, question, title)
            or language_problem(named, unit.chunk.text)
            or ("gives away the answer" if answer and restates(answer, named) else None)
        )
        if failure is None:
            candidate.question = named
            return None
        problem = f"{problem}; named, it {failure}: {named}"
    return unit.reject(candidate, "context", problem)
