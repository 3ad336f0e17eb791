"""Steps on a question that is written and says what it is about: the persona's rewrite (`style`), then the
judges on the styled text, one question a call or (`batched_filters`) one batch of a unit's questions a
call: relevance with its evidence and round trip (`relevance`, `evidence`, `roundtrip`; for a multi-chunk
question, `single_chunk_suffices`), then generality (`generality`)."""

from __future__ import annotations

import dspy
from personaqa.programs.core.records import Rejection, Verdict
from personaqa.programs.corpus.language import language_problem, unrecognised_language
from personaqa.programs.recipe.candidate import Candidate
from personaqa.programs.recipe.checks.answers import kept_answer, same_answer
from personaqa.programs.recipe.checks.evidence import supporting
from personaqa.programs.recipe.checks.persona_leak import leak_problem
from personaqa.programs.recipe.checks.question_form import form_problem
from personaqa.programs.recipe.filters import GeneralityJudge, RelevanceJudge, RelevanceVerdict
from personaqa.programs.recipe.styling import MIN_KEYWORDS, example_repeat, style_problem
from personaqa.programs.recipe.unit import Unit
from personaqa.signatures.types import MAX_JUDGED_ANSWER

# `program` is the SyntheticEvalProgram walking the chain: its settings, embedder and LM modules.
Program = dspy.Module


def style(program: Program, unit: Unit, candidate: Candidate) -> Rejection | None:
    """The persona-styled, conversational text, checked for form and for leaking the persona or its style.
    The recipe's conversational rewrite and style rewrite are this one call: both ask for the way a person
    types the question, and the judges then see the text that is kept. A rewrite that fails a check falls
    back to the question as written (rejected only if that leaks the persona): in a sample run 2 of 19
    rewrites failed, and each cost its question."""
    persona, text = unit.persona, unit.chunk.text
    stylist, threshold = program.stylist, program.settings.question_dedup_threshold
    styled = stylist(candidate.question, persona, unit.view.language_label)
    # a keyword query may be 3 words long and needs no question mark
    keywords = stylist.keywords(persona)
    problem = (
        form_problem(styled, min_words=MIN_KEYWORDS if keywords else 4, rewrite=keywords)
        or language_problem(styled, text)
        or (None if keywords else unrecognised_language(styled, text))
        or leak_problem(styled, persona, stylist.writing_style(persona))
        or style_problem(
            styled,
            candidate.question,
            candidate.intended_answer,
            persona,
            program.embedder,
            threshold,
            program.examples,
        )
    )
    if problem:
        # the question as written passed the form and language checks; it stands in unless it leaks the
        # persona or repeats one of its example questions
        if fallback := (
            leak_problem(candidate.question, persona, stylist.writing_style(persona))
            or example_repeat(candidate.question, persona, program.embedder, threshold, program.examples)
        ):
            return unit.reject(
                candidate, "style", f"styled rewrite {problem}: {styled}; as written it {fallback}"
            )
        styled = candidate.question
    candidate.styled_question = styled
    return None


def relevance(program: Program, unit: Unit, candidate: Candidate) -> Rejection | None:
    """Whether the chunk fully answers the styled question (`relevant`); a multi-chunk question must need
    every chunk of its group."""
    if unit.group:
        return _group_relevance(program, unit, candidate)
    with program.judging():
        judged = program.relevance(unit.chunk, candidate.styled_question)
    return relevant(unit, candidate, judged)


def _group_relevance(program: Program, unit: Unit, candidate: Candidate) -> Rejection | None:
    with program.judging():
        verdict, single = program.multi.judge(list(unit.group), candidate.styled_question)
    candidate.relevance = verdict
    if verdict.label != RelevanceJudge.passing:
        return unit.reject(candidate, "relevance", f"{verdict.label}: {verdict.reason}")
    if single:
        alone = unit.group[single - 1].chunk_id
        return unit.reject(candidate, "single_chunk_suffices", f"{alone} alone answers it: {verdict.reason}")
    return None


def relevance_batch(program: Program, unit: Unit, candidates: list[Candidate]) -> list[Rejection | None]:
    with program.judging():
        verdicts = program.batched.judge_relevance(unit.chunk, [c.styled_question for c in candidates])
    return [
        relevant(unit, c, verdicts[i])
        if i in verdicts
        else unit.reject(c, "lm_error", "relevance: the batched judge gave this question no verdict")
        for i, c in enumerate(candidates)
    ]


def relevant(unit: Unit, candidate: Candidate, judged: RelevanceVerdict) -> Rejection | None:
    """A "fully" verdict whose answer the cited sentences, or else one sentence of the chunk, hold
    (evidence.supporting)."""
    chunk = unit.chunk
    candidate.relevance = judged.verdict
    if judged.verdict.label != RelevanceJudge.passing:
        return unit.reject(candidate, "relevance", f"{judged.verdict.label}: {judged.verdict.reason}")
    spans, problem = supporting(
        judged.answer, judged.sentences, chunk.chunk_id, chunk.text, candidate.styled_question
    )
    if problem:
        return unit.reject(
            candidate, "evidence", f"{problem}: answer '{judged.answer}', sentences {judged.sentences}"
        )
    candidate.relevance = Verdict(label=judged.verdict.label, reason=f"answered blind: {judged.answer}")
    if not candidate.intended_answer:  # a multi-chunk or hand-given question: the judge's answer stands
        candidate.answer, candidate.evidence = judged.answer, spans
        return None
    if not same_answer(candidate.intended_answer, judged.answer):
        return unit.reject(
            candidate,
            "roundtrip",
            f"the judge answered '{judged.answer}', the question was written "
            f"for '{candidate.intended_answer}'",
        )
    numbers = [candidate.sentence] if candidate.sentence else judged.sentences
    own, _ = supporting(candidate.intended_answer, numbers, chunk.chunk_id, chunk.text)
    candidate.answer = kept_answer(candidate.intended_answer, judged.answer, chunk.text, MAX_JUDGED_ANSWER)
    candidate.evidence = own or spans
    return None


def generality(program: Program, unit: Unit, candidate: Candidate) -> Rejection | None:
    with program.judging():
        verdict = program.generality(candidate.styled_question)
    return _general(unit, candidate, verdict)


def generality_batch(program: Program, unit: Unit, candidates: list[Candidate]) -> list[Rejection | None]:
    with program.judging():
        verdicts = program.batched.judge_generality([c.styled_question for c in candidates])
    return [
        _general(unit, c, verdicts[i])
        if i in verdicts
        else unit.reject(c, "lm_error", "generality: the batched judge gave this question no verdict")
        for i, c in enumerate(candidates)
    ]


def _general(unit: Unit, candidate: Candidate, verdict: Verdict) -> Rejection | None:
    candidate.generality = verdict
    if verdict.label != GeneralityJudge.passing:
        return unit.reject(candidate, "generality", f"{verdict.label}: {verdict.reason}")
    candidate.generality = Verdict(label=verdict.label)  # a pass's reason was one stock phrase
    return None
