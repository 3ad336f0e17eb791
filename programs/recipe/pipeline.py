"""SyntheticEvalProgram: the whole recipe for one (chunk, persona), as one optimizable DSPy module."""

from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Literal

import dspy
from personaqa.programs.core.records import Chunk, Persona, QuestionRecord, Rejection, Stage, Verdict
from personaqa.programs.corpus.embedding import Embedder
from personaqa.programs.corpus.language import language_problem, unrecognised_language
from personaqa.programs.lm.build import adapter_for
from personaqa.programs.lm.calls import StageFailure
from personaqa.programs.lm.usage import Ledger, collecting
from personaqa.programs.recipe.categories import Category, draw_categories, instructions
from personaqa.programs.recipe.checks.answers import (
    answer_problem,
    asked_as_fact,
    kept_answer,
    same_answer,
    whole_answer,
)
from personaqa.programs.recipe.checks.evidence import Evidence, restates, supporting
from personaqa.programs.recipe.checks.persona_leak import leak_problem
from personaqa.programs.recipe.checks.question_form import (
    form_problem,
    inverted_roles,
    source_deixis,
    unanchored,
    unnamed_subject,
)
from personaqa.programs.recipe.complex_questions import MultiChunkQuestions
from personaqa.programs.recipe.context import SubjectNamer, naming_problem
from personaqa.programs.recipe.examples import ExampleVectors
from personaqa.programs.recipe.fan_out import fan_out
from personaqa.programs.recipe.filters import (
    BatchedFilters,
    GeneralityJudge,
    RelevanceJudge,
    RelevanceVerdict,
    near_duplicates,
)
from personaqa.programs.recipe.generation import (
    Interest,
    InterestExtractor,
    QuestionTypeSelector,
    QuestionWriter,
)
from personaqa.programs.recipe.stake import stake
from personaqa.programs.recipe.styling import MIN_KEYWORDS, PersonaStylist, example_repeat, style_problem
from personaqa.programs.recipe.text_views import language_label
from personaqa.programs.recipe.wording import Wording, lexical_overlap, sample_wording
from personaqa.signatures import QUESTION_TYPE_DESCRIPTIONS
from personaqa.signatures.types import MAX_INTENDED_ANSWER, MAX_JUDGED_ANSWER


def question_id(chunk: Chunk, persona: Persona, interest: str, question_type: str) -> str:
    """Stable id of a candidate: the same inputs always give the same id (resume, dedup, joins)."""
    key = f"{chunk.chunk_id}\x1f{persona.name}\x1f{interest.lower()}\x1f{question_type}"
    return "q-" + hashlib.sha1(key.encode()).hexdigest()[:12]


@dataclass
class Candidate:
    question_id: str
    interest: str
    question_type: str
    question: str  # as written by the question writer
    intended_answer: str = (
        ""  # the answer the writer chose first, from `sentence` ("" for multi-chunk questions)
    )
    sentence: int = 0  # 1-based number of the chunk sentence the answer was chosen from (0: unknown)
    sentence_text: str = ""  # that sentence, as the interest holds it ("" when unknown)
    styled_question: str = ""  # the final text: what the judges see and the set keeps
    relevance: Verdict | None = None
    generality: Verdict | None = None
    answer: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    chunk_ids: list[str] = field(default_factory=list)  # set for multi-chunk questions only
    wording: Wording = "passage"
    categories: dict[str, str] = field(default_factory=dict)  # axis -> drawn category (categories.py)


@dataclass(frozen=True)
class ProgramSettings:
    interest_dedup_threshold: float = 0.85
    question_dedup_threshold: float = 0.92
    persona_stake_threshold: float = 0.0  # a persona passes on a chunk below it (stake.py; 0: never)
    max_interests: int = 3
    max_types_per_interest: int = 1
    type_selection: Literal["sampled", "lm"] = (
        "sampled"  # question types drawn from type_weights, or LM-chosen
    )
    type_weights: tuple[
        tuple[str, float], ...
    ] = ()  # (type, weight); unlisted types: generation.DEFAULT_TYPE_WEIGHTS
    own_wording_share: float = 0.0  # share of questions asked in the person's own words (wording.py)
    categorisations: dict[str, dict[str, Category]] = field(default_factory=dict)  # categories.py
    batched_filters: bool = False  # one judge/rewrite call per unit instead of one per question
    fan_out: int = 1  # interests, and questions, of one unit worked on at once (endpoint LMs)


class SyntheticEvalProgram(dspy.Module):
    """chunk + persona → persona-styled questions labelled with the chunk, plus every rejection and why."""

    def __init__(
        self,
        embedder: Embedder,
        question_types: dict[str, str] | None = None,
        settings: ProgramSettings | None = None,
        judge_lm: dspy.LM | None = None,
    ):
        super().__init__()
        settings = settings or ProgramSettings()
        types = dict(question_types or QUESTION_TYPE_DESCRIPTIONS)
        self.settings = settings
        self.embedder = embedder
        self.judge_lm = judge_lm
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
        records: list[QuestionRecord] = []
        if interests is None and self.passes(chunk, persona):
            return dspy.Prediction(records=[], rejections=[], interests=[], usage=ledger)
        with collecting(ledger):
            try:
                chosen = (
                    self.interests(chunk, persona, persona_slot)
                    if interests is None
                    else [Interest(i) for i in interests]
                )
            except StageFailure as failure:
                rejections.append(self._reject_unit(chunk, persona, failure))
                chosen = []
            per_interest = self._each(
                chosen, rejections, lambda i, own: self._generate(chunk, persona, i, own)
            )
            candidates = [c for found in per_interest for c in found]
            if self.settings.batched_filters:
                records = self._filter_batched(candidates, chunk, persona, rejections)
            else:
                records = self._filter(candidates, chunk, persona, rejections)
            records = self._deduplicate(records, rejections)
        return dspy.Prediction(
            records=records, rejections=rejections, interests=[i.topic for i in chosen], usage=ledger
        )

    def passes(self, chunk: Chunk, persona: Persona) -> bool:
        """Whether the persona, which gives example questions, has no stake in the chunk (stake.py): no
        question is asked, no LM called."""
        threshold = self.settings.persona_stake_threshold
        if threshold <= 0:
            return False
        score = stake(chunk, persona, self.embedder, self.examples)
        return score is not None and score < threshold

    def _judging(self) -> AbstractContextManager:
        """Judges run on the judge LM when one is configured, else on the task LM."""
        if self.judge_lm is None:
            return nullcontext()
        return dspy.context(lm=self.judge_lm, adapter=adapter_for(self.judge_lm))

    # -- stages -------------------------------------------------------------------------------

    def _each(self, items: list, rejections: list[Rejection], step) -> list:
        """`step(item, own_rejections)` over items, `fan_out` at once; rejections merged in item order, so
        the output is the same as one item after the other."""

        def run(item):
            own: list[Rejection] = []
            return step(item, own), own

        results = fan_out(run, items, self.settings.fan_out)
        for _, own in results:
            rejections.extend(own)
        return [result for result, _ in results]

    def _generate(
        self, chunk: Chunk, persona: Persona, point: Interest, rejections: list[Rejection]
    ) -> list[Candidate]:
        """The questions of one interest: its question types, then one question per type."""
        interest = point.topic
        try:
            question_types = self.types(chunk, interest, persona.name, point.sentence)
        except StageFailure as failure:
            rejections.append(self._reject_unit(chunk, persona, failure, interest=interest))
            return []
        candidates: list[Candidate] = []
        for question_type in question_types:
            qid = question_id(chunk, persona, interest, question_type)
            share = (
                self.settings.own_wording_share
                if persona.own_wording_share is None
                else persona.own_wording_share
            )
            wording = sample_wording(share, qid)
            categories = draw_categories(self.settings.categorisations, qid)
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
                rejections.append(
                    self._rejection(
                        Candidate(qid, interest, question_type, "", wording=wording, categories=categories),
                        chunk,
                        persona,
                        "lm_error",
                        failure.detail,
                    )
                )
                continue
            candidate = Candidate(
                qid,
                interest,
                question_type,
                written.question,
                whole_answer(written.answer, chunk.text),
                point.number,
                point.sentence,
                wording=wording,
                categories=categories,
            )
            if rejection := self._written_problem(candidate, chunk, persona):
                rejections.append(rejection)
                continue
            if self._in_context(candidate, chunk, persona, rejections):
                candidates.append(candidate)
        return candidates

    def _written_problem(self, candidate: Candidate, chunk: Chunk, persona: Persona) -> Rejection | None:
        """The rejection of a freshly written question that is not one question, inverts who did what in
        its chunk or repeats one of the persona's example questions (stage `generation`), whose
        intended answer is no answer, gives itself away or is not in the chunk (stage `answer`), or not in
        its chunk's language (stage `language`); None when it may go on."""
        if problem := (
            form_problem(candidate.question)
            or inverted_roles(candidate.question, chunk.text)
            or example_repeat(
                candidate.question,
                persona,
                self.embedder,
                self.settings.question_dedup_threshold,
                self.examples,
            )
        ):
            return self._rejection(candidate, chunk, persona, "generation", problem)
        if problem := self._answer_problem(candidate, chunk):
            return self._rejection(
                candidate, chunk, persona, "answer", f"answer '{candidate.intended_answer}' {problem}"
            )
        if problem := language_problem(candidate.question, chunk.text):
            return self._rejection(candidate, chunk, persona, "language", problem)
        return None

    def _in_context(
        self, candidate: Candidate, chunk: Chunk, persona: Persona, rejections: list[Rejection]
    ) -> bool:
        """Whether the question says what it is about (stage `context`, the recipe's missing-context
        filter): one that asks for an unnamed thing's name or points at "this paper" is rejected; one that
        names nothing of its document is given the name by the LM (context.py), and rejected if that
        rewrite loses the question, names nothing still or gives the answer away."""
        question = candidate.question
        if problem := (unnamed_subject(question) or source_deixis(question)):
            rejections.append(self._rejection(candidate, chunk, persona, "context", problem))
            return False
        if (problem := unanchored(question, chunk.title)) is None:
            return True
        try:
            named = self.namer(question, chunk.title)
        except StageFailure as failure:
            rejections.append(self._rejection(candidate, chunk, persona, "lm_error", str(failure)))
            return False
        if named is not None:
            answer = candidate.intended_answer
            failure = (
                naming_problem(named, question, chunk.title)
                or language_problem(named, chunk.text)
                or ("gives away the answer" if answer and restates(answer, named) else None)
            )
            if failure is None:
                candidate.question = named
                return True
            problem = f"{problem}; named, it {failure}: {named}"
        rejections.append(self._rejection(candidate, chunk, persona, "context", problem))
        return False

    @staticmethod
    def _answer_problem(candidate: Candidate, chunk: Chunk) -> str | None:
        """Why the intended answer of a single-chunk question cannot stand (checks.answers), or None."""
        if candidate.chunk_ids:
            return None
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

    def _deduplicate(
        self, records: list[QuestionRecord], rejections: list[Rejection]
    ) -> list[QuestionRecord]:
        """The unit's kept questions without near-duplicates of an earlier kept one. After the judges, so a
        question is dropped as a repeat only of one that is kept (before, the better of two texts was
        dropped as a repeat of one the judges then rejected)."""
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

    def _filter(
        self, candidates: list[Candidate], chunk: Chunk, persona: Persona, rejections: list[Rejection]
    ) -> list[QuestionRecord]:
        """Style every question and check its final text, then judge those texts: relevance, generality.
        Stage by stage, so the unit's relevance calls, which start with its passage, follow each other and
        llama.cpp reuses the evaluated passage."""
        for step in (self._style, self._passes_relevance, self._passes_generality):
            passed = self._each(
                candidates, rejections, lambda c, own, step=step: step(c, chunk, persona, own)
            )
            candidates = [c for c, ok in zip(candidates, passed) if ok]
        return [self._record(c, chunk, persona) for c in candidates]

    def _passes_relevance(
        self, candidate: Candidate, chunk: Chunk, persona: Persona, rejections: list[Rejection]
    ) -> bool:
        try:
            with self._judging():
                judged = self.relevance(chunk, candidate.styled_question)
        except StageFailure as failure:
            rejections.append(self._rejection(candidate, chunk, persona, "lm_error", str(failure)))
            return False
        return self._relevant(candidate, judged, chunk, persona, rejections)

    def _relevant(
        self,
        candidate: Candidate,
        judged: RelevanceVerdict,
        chunk: Chunk,
        persona: Persona,
        rejections: list[Rejection],
    ) -> bool:
        """A "fully" verdict whose answer the cited sentences, or else one sentence of the chunk, hold
        (evidence.supporting)."""
        candidate.relevance = judged.verdict
        if judged.verdict.label != RelevanceJudge.passing:
            rejections.append(
                self._rejection(
                    candidate, chunk, persona, "relevance", f"{judged.verdict.label}: {judged.verdict.reason}"
                )
            )
            return False
        spans, problem = supporting(
            judged.answer, judged.sentences, chunk.chunk_id, chunk.text, candidate.styled_question
        )
        if problem:
            rejections.append(
                self._rejection(
                    candidate,
                    chunk,
                    persona,
                    "evidence",
                    f"{problem}: answer '{judged.answer}', sentences {judged.sentences}",
                )
            )
            return False
        candidate.relevance = Verdict(label=judged.verdict.label, reason=f"answered blind: {judged.answer}")
        if not candidate.intended_answer:  # a multi-chunk or hand-given question: the judge's answer stands
            candidate.answer, candidate.evidence = judged.answer, spans
            return True
        if not same_answer(candidate.intended_answer, judged.answer):
            rejections.append(
                self._rejection(
                    candidate,
                    chunk,
                    persona,
                    "roundtrip",
                    f"the judge answered '{judged.answer}', the question was written "
                    f"for '{candidate.intended_answer}'",
                )
            )
            return False
        numbers = [candidate.sentence] if candidate.sentence else judged.sentences
        own, _ = supporting(candidate.intended_answer, numbers, chunk.chunk_id, chunk.text)
        candidate.answer = kept_answer(
            candidate.intended_answer, judged.answer, chunk.text, MAX_JUDGED_ANSWER
        )
        candidate.evidence = own or spans
        return True

    def _style(
        self, candidate: Candidate, chunk: Chunk, persona: Persona, rejections: list[Rejection]
    ) -> bool:
        """The persona-styled, conversational text, checked for form and for leaking the persona or
        its style. The recipe's conversational rewrite and style rewrite are this one call: both ask
        for the way a person types the question, and the judges then see the text that is kept. A
        rewrite that fails a check falls back to the question as written (rejected only if that leaks
        the persona): in a sample run 2 of 19 rewrites failed, and each cost its question."""
        try:
            styled = self.stylist(candidate.question, persona, language_label(chunk.text))
        except StageFailure as failure:
            rejections.append(self._rejection(candidate, chunk, persona, "lm_error", str(failure)))
            return False
        # a keyword query may be 3 words long and needs no question mark
        keywords = self.stylist.keywords(persona)
        problem = (
            form_problem(styled, min_words=MIN_KEYWORDS if keywords else 4, rewrite=keywords)
            or language_problem(styled, chunk.text)
            or (None if keywords else unrecognised_language(styled, chunk.text))
            or leak_problem(styled, persona, self.stylist.writing_style(persona))
            or style_problem(
                styled,
                candidate.question,
                candidate.intended_answer,
                persona,
                self.embedder,
                self.settings.question_dedup_threshold,
                self.examples,
            )
        )
        if problem:
            # the question as written passed the form and language checks; it stands in unless it leaks the
            # persona or repeats one of its example questions
            if fallback := (
                leak_problem(candidate.question, persona, self.stylist.writing_style(persona))
                or example_repeat(
                    candidate.question,
                    persona,
                    self.embedder,
                    self.settings.question_dedup_threshold,
                    self.examples,
                )
            ):
                rejections.append(
                    self._rejection(
                        candidate,
                        chunk,
                        persona,
                        "style",
                        f"styled rewrite {problem}: {styled}; as written it {fallback}",
                    )
                )
                return False
            styled = candidate.question
        candidate.styled_question = styled
        return True

    def _passes_generality(
        self, candidate: Candidate, chunk: Chunk, persona: Persona, rejections: list[Rejection]
    ) -> bool:
        try:
            with self._judging():
                candidate.generality = self.generality(candidate.styled_question)
        except StageFailure as failure:
            rejections.append(self._rejection(candidate, chunk, persona, "lm_error", str(failure)))
            return False
        if candidate.generality.label != GeneralityJudge.passing:
            rejections.append(
                self._rejection(
                    candidate,
                    chunk,
                    persona,
                    "generality",
                    f"{candidate.generality.label}: {candidate.generality.reason}",
                )
            )
            return False
        candidate.generality = Verdict(
            label=candidate.generality.label
        )  # a pass's reason was one stock phrase
        return True

    def group(self, chunks: list[Chunk], persona: Persona, question_types: list[str]) -> dspy.Prediction:
        """Complex questions over a group of chunks that share information: each needs every chunk."""
        ledger = Ledger()
        rejections: list[Rejection] = []
        records: list[QuestionRecord] = []
        primary = chunks[0]
        chunk_ids = [c.chunk_id for c in chunks]
        with collecting(ledger):
            for question_type in question_types:
                qid = question_id(primary, persona, "+".join(chunk_ids), question_type)
                candidate = Candidate(qid, "", question_type, "", chunk_ids=chunk_ids)
                try:
                    candidate.question = self.multi.write_question(chunks, persona, question_type)
                except StageFailure as failure:
                    rejections.append(self._rejection(candidate, primary, persona, "lm_error", str(failure)))
                    continue
                if rejection := self._written_problem(candidate, primary, persona):
                    rejections.append(rejection)
                    continue
                if not self._in_context(candidate, primary, persona, rejections):
                    continue
                if not self._style(candidate, primary, persona, rejections):
                    continue
                try:
                    with self._judging():
                        verdict, single = self.multi.judge(chunks, candidate.styled_question)
                except StageFailure as failure:
                    rejections.append(self._rejection(candidate, primary, persona, "lm_error", str(failure)))
                    continue
                candidate.relevance = verdict
                if verdict.label != RelevanceJudge.passing:
                    rejections.append(
                        self._rejection(
                            candidate, primary, persona, "relevance", f"{verdict.label}: {verdict.reason}"
                        )
                    )
                elif single:
                    rejections.append(
                        self._rejection(
                            candidate,
                            primary,
                            persona,
                            "single_chunk_suffices",
                            f"{chunk_ids[single - 1]} alone answers it: {verdict.reason}",
                        )
                    )
                elif self._passes_generality(candidate, primary, persona, rejections):
                    records.append(self._record(candidate, primary, persona))
        return dspy.Prediction(records=records, rejections=rejections, interests=[], usage=ledger)

    def _filter_batched(
        self, candidates: list[Candidate], chunk: Chunk, persona: Persona, rejections: list[Rejection]
    ) -> list[QuestionRecord]:
        """The same chain with one relevance and one generality call per batch of styled questions."""
        styled = [c for c in candidates if self._style(c, chunk, persona, rejections)]
        if not styled:
            return []
        try:
            with self._judging():
                relevance = self.batched.judge_relevance(chunk, [c.styled_question for c in styled])
            kept = [
                c
                for i, c in enumerate(styled)
                if self._batch_relevant(c, relevance.get(i), chunk, persona, rejections)
            ]
            with self._judging():
                generality = self.batched.judge_generality([c.styled_question for c in kept]) if kept else {}
            kept = self._apply_verdicts(
                kept, generality, "generality", GeneralityJudge.passing, chunk, persona, rejections
            )
        except StageFailure as failure:
            rejections.extend(
                self._rejection(c, chunk, persona, "lm_error", str(failure))
                for c in styled
                if not any(r.question_id == c.question_id for r in rejections)
            )
            return []
        return [self._record(candidate, chunk, persona) for candidate in kept]

    def _batch_relevant(
        self,
        candidate: Candidate,
        judged: RelevanceVerdict | None,
        chunk: Chunk,
        persona: Persona,
        rejections: list[Rejection],
    ) -> bool:
        if judged is None:
            rejections.append(
                self._rejection(
                    candidate,
                    chunk,
                    persona,
                    "lm_error",
                    "relevance: the batched judge gave this question no verdict",
                )
            )
            return False
        return self._relevant(candidate, judged, chunk, persona, rejections)

    def _apply_verdicts(
        self,
        candidates: list[Candidate],
        verdicts: dict[int, Verdict],
        stage: Stage,
        passing: str,
        chunk: Chunk,
        persona: Persona,
        rejections: list[Rejection],
    ) -> list[Candidate]:
        kept = []
        for i, candidate in enumerate(candidates):
            verdict = verdicts.get(i)
            if verdict is None:
                rejections.append(
                    self._rejection(
                        candidate,
                        chunk,
                        persona,
                        "lm_error",
                        f"{stage}: the batched judge gave this question no verdict",
                    )
                )
                continue
            setattr(candidate, stage, verdict)
            if verdict.label != passing:
                rejections.append(
                    self._rejection(candidate, chunk, persona, stage, f"{verdict.label}: {verdict.reason}")
                )
            else:
                setattr(
                    candidate, stage, Verdict(label=verdict.label)
                )  # a pass's reason was one stock phrase
                kept.append(candidate)
        return kept

    @staticmethod
    def _record(candidate: Candidate, chunk: Chunk, persona: Persona) -> QuestionRecord:
        return QuestionRecord(
            question_id=candidate.question_id,
            question=candidate.styled_question,
            original_question=candidate.question,
            persona=persona.name,
            interest=candidate.interest,
            question_type=candidate.question_type,
            chunk_id=chunk.chunk_id,
            doc_id=chunk.doc_id,
            relevance=candidate.relevance,
            generality=candidate.generality,
            answer=candidate.answer,
            evidence=candidate.evidence,
            complexity="multi" if candidate.chunk_ids else "single",
            chunk_ids=candidate.chunk_ids,
            wording=candidate.wording,
            lexical_overlap=round(lexical_overlap(candidate.styled_question, chunk.text), 3),
            categories=candidate.categories,
        )

    # -- rejections ---------------------------------------------------------------------------

    @staticmethod
    def _rejection(
        candidate: Candidate, chunk: Chunk, persona: Persona, stage: Stage, reason: str
    ) -> Rejection:
        return Rejection(
            question_id=candidate.question_id,
            stage=stage,
            reason=reason,
            question=candidate.styled_question or candidate.question,
            persona=persona.name,
            interest=candidate.interest,
            question_type=candidate.question_type,
            chunk_id=chunk.chunk_id,
            doc_id=chunk.doc_id,
            relevance=candidate.relevance,
            generality=candidate.generality,
            complexity="multi" if candidate.chunk_ids else "single",
            chunk_ids=candidate.chunk_ids,
            categories=candidate.categories,
        )

    @staticmethod
    def _reject_unit(chunk: Chunk, persona: Persona, failure: StageFailure, interest: str = "") -> Rejection:
        qid = question_id(chunk, persona, interest or f"<{failure.stage}>", "")
        return Rejection(
            question_id=qid,
            stage="lm_error",
            reason=str(failure),
            persona=persona.name,
            interest=interest,
            chunk_id=chunk.chunk_id,
            doc_id=chunk.doc_id,
        )
