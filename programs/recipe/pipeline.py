"""SyntheticEvalProgram: the whole recipe for one (chunk, persona), as one optimizable DSPy module.

It walks the chain (`chain.CHAIN`) three ways: on one chunk, each question through the steps that read it
as written and then the unit's questions step by step through the rest (`forward`); the same with one judge
call per batch (`batched_filters`); and on a group of chunks, each question through every step (`group`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import dspy
from personaqa.programs.core.records import Chunk, Persona, QuestionRecord, Rejection
from personaqa.programs.corpus.embedding import Embedder
from personaqa.programs.lm.build import adapter_for
from personaqa.programs.lm.calls import StageFailure
from personaqa.programs.lm.usage import Ledger, collecting
from personaqa.programs.recipe.candidate import Candidate, ProgramSettings, question_id
from personaqa.programs.recipe.categories import draw_categories, instructions
from personaqa.programs.recipe.chain import CHAIN, Step
from personaqa.programs.recipe.checks.answers import whole_answer
from personaqa.programs.recipe.complex_questions import MultiChunkQuestions
from personaqa.programs.recipe.context import SubjectNamer
from personaqa.programs.recipe.examples import ExampleVectors
from personaqa.programs.recipe.fan_out import fan_out
from personaqa.programs.recipe.filters import BatchedFilters, GeneralityJudge, RelevanceJudge, near_duplicates
from personaqa.programs.recipe.generation import Interest, InterestExtractor, QuestionWriter
from personaqa.programs.recipe.question_types import QuestionTypeSelector
from personaqa.programs.recipe.stake import stake
from personaqa.programs.recipe.styling import PersonaStylist
from personaqa.programs.recipe.unit import Unit
from personaqa.programs.recipe.wording import sample_wording
from personaqa.signatures import QUESTION_TYPE_DESCRIPTIONS

__all__ = ["Candidate", "ProgramSettings", "SyntheticEvalProgram", "question_id"]


class SyntheticEvalProgram(dspy.Module):
    """chunk + persona → persona-styled questions labelled with the chunk, plus every rejection and why."""

    def __init__(
        self,
        embedder: Embedder,
        question_types: dict[str, str] | None = None,
        settings: ProgramSettings | None = None,
        judge_lm: dspy.LM | None = None,
        chain: Sequence[Step] = CHAIN,
    ):
        super().__init__()
        settings = settings or ProgramSettings()
        types = dict(question_types or QUESTION_TYPE_DESCRIPTIONS)
        self.settings = settings
        self.embedder = embedder
        self.judge_lm = judge_lm
        self.chain = tuple(chain)
        self.examples = ExampleVectors(embedder)
        self.interests = InterestExtractor(
            embedder, settings.interest_dedup_threshold, settings.max_interests, self.examples
        )
        self.types = QuestionTypeSelector(
            types, settings.max_types_per_interest, settings.type_selection, dict(settings.type_weights)
        )
        self.writer = QuestionWriter(types)
        self.relevance = RelevanceJudge()
        self.generality = GeneralityJudge()
        self.namer = SubjectNamer()
        self.stylist = PersonaStylist()
        self.batched = BatchedFilters()
        self.multi = MultiChunkQuestions()

    def forward(
        self,
        chunk: Chunk,
        persona: Persona,
        interests: list[str] | None = None,
        persona_slot: tuple[int, int] | None = None,
    ) -> dspy.Prediction:
        """`interests`: topics to use instead of asking the LM (labelled examples, tests); `persona_slot`:
        (the persona's position, number of personas), so personas ask about different sentences of the chunk
        (generation.offered_sentences)."""
        ledger = Ledger()
        rejections: list[Rejection] = []
        if interests is None and self.passes(chunk, persona):
            return dspy.Prediction(records=[], rejections=[], interests=[], usage=ledger)
        unit = Unit.of(chunk, persona)
        with collecting(ledger):
            try:
                chosen = (
                    self.interests(chunk, persona, persona_slot)
                    if interests is None
                    else [Interest(i) for i in interests]
                )
            except StageFailure as failure:
                rejections.append(unit.reject_unit(failure))
                chosen = []
            per_interest = self._each(chosen, rejections, lambda i, own: self._generate(unit, i, own))
            candidates = [c for found in per_interest for c in found]
            for step in self._gathered():
                candidates = self._gather(step, unit, candidates, rejections)
            records = self._deduplicate([unit.record(c) for c in candidates], rejections)
        return dspy.Prediction(
            records=records, rejections=rejections, interests=[i.topic for i in chosen], usage=ledger
        )

    def group(self, chunks: list[Chunk], persona: Persona, question_types: list[str]) -> dspy.Prediction:
        """Complex questions over a group of chunks that share information: each needs every chunk."""
        ledger = Ledger()
        rejections: list[Rejection] = []
        records: list[QuestionRecord] = []
        unit = Unit.of(chunks[0], persona, tuple(chunks))
        chunk_ids = [c.chunk_id for c in chunks]
        with collecting(ledger):
            for question_type in question_types:
                qid = question_id(unit.chunk, persona, "+".join(chunk_ids), question_type)
                candidate = Candidate(qid, "", question_type, "", chunk_ids=chunk_ids)
                try:
                    candidate.question = self.multi.write_question(chunks, persona, question_type)
                except StageFailure as failure:
                    rejections.append(unit.reject(candidate, "lm_error", str(failure)))
                    continue
                steps = [*self._as_written(), *self._gathered()]
                if rejection := self._screen(steps, unit, candidate):
                    rejections.append(rejection)
                else:
                    records.append(unit.record(candidate))
        return dspy.Prediction(records=records, rejections=rejections, interests=[], usage=ledger)

    def passes(self, chunk: Chunk, persona: Persona) -> bool:
        """Whether the persona, which gives example questions, has no stake in the chunk (stake.py): no
        question is asked, no LM called."""
        threshold = self.settings.persona_stake_threshold
        if threshold <= 0:
            return False
        score = stake(chunk, persona, self.embedder, self.examples)
        return score is not None and score < threshold

    def judging(self) -> AbstractContextManager:
        """Judges run on the judge LM when one is configured, else on the task LM."""
        if self.judge_lm is None:
            return nullcontext()
        return dspy.context(lm=self.judge_lm, adapter=adapter_for(self.judge_lm))

    # -- walking the chain --------------------------------------------------------------------

    def _as_written(self) -> list[Step]:
        """The checks a question meets as soon as it is written: those before the first gathered step."""
        return [step for step in self.chain[: self._first_gathered()] if step.check]

    def _gathered(self) -> list[Step]:
        """The checks the unit's written questions go through together, step by step."""
        return [step for step in self.chain[self._first_gathered() :] if step.check]

    def _first_gathered(self) -> int:
        return next((i for i, step in enumerate(self.chain) if step.gathered), len(self.chain))

    def _screen(self, steps: Sequence[Step], unit: Unit, candidate: Candidate) -> Rejection | None:
        """The first rejection of `candidate` by `steps` in order, or None when it passes them all."""
        for step in steps:
            if (rejection := self._check(step, unit, candidate)) is not None:
                return rejection
        return None

    def _check(self, step: Step, unit: Unit, candidate: Candidate) -> Rejection | None:
        """`step`'s check of `candidate`; a failed LM call in it rejects the candidate at `lm_error`."""
        try:
            return step.check(self, unit, candidate)  # type: ignore[misc]
        except StageFailure as failure:
            return unit.reject(candidate, "lm_error", str(failure))

    def _gather(
        self, step: Step, unit: Unit, candidates: list[Candidate], rejections: list[Rejection]
    ) -> list[Candidate]:
        """The unit's candidates that pass `step`: one batch call when the step has one and the settings
        ask for it, else each candidate, `fan_out` at once."""
        if not candidates:
            return []
        if step.batch and self.settings.batched_filters:
            try:
                verdicts = step.batch(self, unit, candidates)
            except StageFailure as failure:
                verdicts = [unit.reject(c, "lm_error", str(failure)) for c in candidates]
        else:
            verdicts = self._each(candidates, rejections, lambda c, own: self._check(step, unit, c))
        rejections.extend(r for r in verdicts if r is not None)
        return [c for c, rejection in zip(candidates, verdicts) if rejection is None]

    def _each(self, items: list, rejections: list[Rejection], step: Callable) -> list:
        """`step(item, own_rejections)` over items, `fan_out` at once; rejections merged in item order, so
        the output is the same as one item after the other."""

        def run(item):
            own: list[Rejection] = []
            return step(item, own), own

        results = fan_out(run, items, self.settings.fan_out)
        for _, own in results:
            rejections.extend(own)
        return [result for result, _ in results]

    def _generate(self, unit: Unit, point: Interest, rejections: list[Rejection]) -> list[Candidate]:
        """The questions of one interest: its question types, then one question per type, each checked as
        it is written."""
        chunk, persona, interest = unit.chunk, unit.persona, point.topic
        try:
            question_types = self.types(chunk, interest, persona.name, point.sentence)
        except StageFailure as failure:
            rejections.append(unit.reject_unit(failure, interest=interest))
            return []
        share = (
            self.settings.own_wording_share
            if persona.own_wording_share is None
            else persona.own_wording_share
        )
        candidates: list[Candidate] = []
        for question_type in question_types:
            qid = question_id(chunk, persona, interest, question_type)
            wording = sample_wording(share, qid)
            categories = draw_categories(self.settings.categorisations, qid)
            candidate = Candidate(qid, interest, question_type, "", wording=wording, categories=categories)
            try:
                written = self.writer(
                    chunk,
                    persona,
                    interest,
                    question_type,
                    own_words=wording == "own",
                    sentence=point.sentence,
                    asked_as=instructions(self.settings.categorisations, categories),
                )
            except StageFailure as failure:
                rejections.append(unit.reject(candidate, "lm_error", failure.detail))
                continue
            candidate.question = written.question
            candidate.intended_answer = whole_answer(written.answer, chunk.text)
            candidate.sentence, candidate.sentence_text = point.number, point.sentence
            if rejection := self._screen(self._as_written(), unit, candidate):
                rejections.append(rejection)
            else:
                candidates.append(candidate)
        return candidates

    def _deduplicate(
        self, records: list[QuestionRecord], rejections: list[Rejection]
    ) -> list[QuestionRecord]:
        """The unit's kept questions without near-duplicates of an earlier kept one (stage `dedup`). After
        the judges, so a question is dropped as a repeat only of one that is kept (before, the better of two
        texts was dropped as a repeat of one the judges then rejected)."""
        repeats = near_duplicates(
            [r.question for r in records], self.embedder, self.settings.question_dedup_threshold
        )
        for index, original in repeats.items():
            fields = records[index].model_dump(include=set(Rejection.model_fields) - {"stage", "reason"})
            rejections.append(
                Rejection(
                    **fields, stage="dedup", reason=f"near-duplicate of {records[original].question_id}"
                )
            )
        return [r for i, r in enumerate(records) if i not in repeats]
