"""Generate stage: a persona's interests in a chunk, the question types each supports, the questions."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import dspy
import pydantic
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.corpus.embedding import Embedder, semantic_dedup
from personaqa.programs.corpus.segmentation import UNSPACED
from personaqa.programs.lm.calls import call_lm
from personaqa.programs.recipe.checks.evidence import sentence_spans
from personaqa.programs.recipe.checks.question_form import without_source_reference
from personaqa.programs.recipe.examples import ExampleVectors
from personaqa.programs.recipe.phrases import sentence_phrases
from personaqa.programs.recipe.question_types import (  # noqa: F401 - re-exported
    DEFAULT_TYPE_WEIGHTS,
    QuestionTypeSelector,
    sample_types,
)
from personaqa.programs.recipe.text_views import (
    example_lines,
    language_label,
    numbered_passage,
    persona_text,
)
from personaqa.programs.recipe.wording import OWN_WORDS
from personaqa.signatures import ExtractInterests, GenerateQuestion, PointOfInterest


def grounded(interest: str, passage: str) -> bool:
    """Whether the interest names something the passage mentions: one of its words of 4+ letters (its
    first 5 letters, so "regulations" matches "regulated") occurs in the passage, or, in scripts without
    spaces, two of its characters in a row do. Small models list the persona's own concerns ("competition
    law" for a lawyer reading a purifier manual) and then write questions the passage cannot answer."""
    text = passage.lower()
    words = re.findall(r"\w+", interest.lower())
    if any(len(w) >= 4 and w[:5] in text for w in words):
        return True
    unspaced = [w for w in words if UNSPACED.search(w)]
    return any(w[i : i + 2] in text for w in unspaced for i in range(len(w) - 1))


@dataclass(frozen=True)
class Interest:
    """A point of interest of a persona in a chunk: its topic ("break fee") and the sentence of the chunk
    that holds it ("" for an interest given by hand, e.g. in a labelled example)."""

    topic: str
    sentence: str = ""
    number: int = 0  # the sentence's 1-based number in the chunk (0: given by hand)


MIN_SENTENCE_WORDS = 4


def askable_sentences(text: str) -> list[int]:
    """1-based numbers (as `evidence.numbered` shows them) of the sentences of `text` a question can be
    about: not a Markdown heading, and at least MIN_SENTENCE_WORDS words (or 8 characters in scripts
    written without spaces). Every sentence when none qualifies."""
    spans = sentence_spans(text)
    askable = []
    for number, (start, end) in enumerate(spans, 1):
        sentence = text[start:end].strip()
        if sentence.startswith("#"):  # a heading, or a heading the segmenter joined to the next sentence
            sentence = sentence.split("\n", 1)[1].strip() if "\n" in sentence else ""
        long_enough = (
            len(sentence) >= 8 if UNSPACED.search(sentence) else len(sentence.split()) >= MIN_SENTENCE_WORDS
        )
        if long_enough:
            askable.append(number)
    return askable or list(range(1, len(spans) + 1))


def offered_sentences(
    askable: Sequence[int], slot: tuple[int, int] | None, most: int, ranking: Sequence[int] | None = None
) -> tuple[int, ...]:
    """The sentence numbers a persona may pick from. With `slot` = (this persona's position, number of
    personas P), its share of the askable sentences: with `ranking` (the askable sentences, those nearest
    the persona's example questions first) its nearest ceil(n / P), else every P-th starting at its
    position; topped up to `most` from the rest (nearest first, else its own first). Three personas
    picking freely from one short chunk pick the same sentences and write one question three times (8 of
    31 written questions of a sample run were near-duplicates of another persona's); split by position
    alone, the lawyer asked about a fine's amount and the journalist about its date, and a reader could not
    tell them apart. Fixed by the persona and the chunk, not by what other units picked, so a run gives
    the same questions with any number of workers and when resumed."""
    if ranking is not None:
        ordered = [n for n in ranking if n in set(askable)] + [n for n in askable if n not in set(ranking)]
        count = slot[1] if slot else 1
        return tuple(ordered[: max(most, -(-len(ordered) // count))])
    if slot is None:
        return tuple(askable)
    position, count = slot
    own = tuple(n for k, n in enumerate(askable) if k % count == position % count)
    if len(own) >= most:
        return own
    return own + tuple(n for n in askable if n not in own)


def point_schema(offered: Mapping[int, tuple[str, ...]]) -> Any:
    """The type of one point of interest: a sentence number and, as its topic, a phrase of that very
    sentence (`sentence_phrases`): one alternative per offered sentence, a JSON-schema anyOf the grammar
    enforces."""
    alternatives = [
        pydantic.create_model(
            f"PointOfInterest{n}",
            __doc__=PointOfInterest.__doc__,
            sentence=(Literal[n], ...),
            topic=(Literal[phrases], ...),
        )  # type: ignore[valid-type]
        for n, phrases in offered.items()
        if phrases
    ]
    if not alternatives:
        return None
    return functools.reduce(operator.or_, alternatives)  # A | B | ...: the one model itself if alone


class InterestExtractor(dspy.Module):
    """Points of interest of one persona in one chunk: sentences of the chunk it would ask about, each with
    its topic; semantically deduplicated by topic. The LM may list none (a persona with no stake in the
    chunk usually never gets here: `SyntheticEvalProgram.passes`).

    The LM picks sentence numbers (the response schema allows only the sentences offered to this persona,
    `offered_sentences`) and names each one's topic. Asked for topics alone, the
    1.5B default model listed the persona's own concerns ("methods reference librarians use to help
    patrons" for a CISI abstract on citation counting), and the questions written from them were not
    answered by the chunk (7 of 15 judged CISI candidates failed the evidence check)."""

    def __init__(
        self,
        embedder: Embedder,
        dedup_threshold: float = 0.85,
        max_interests: int = 3,
        examples: ExampleVectors | None = None,
    ):
        """`examples`: the run's example-question vectors; a persona that gives examples is offered the
        sentences nearest them (`offered_sentences`)."""
        super().__init__()
        self.extract = dspy.Predict(ExtractInterests)
        self.embedder = embedder
        self.examples = examples
        self.dedup_threshold = dedup_threshold
        self.max_interests = max_interests

    def forward(self, chunk: Chunk, persona: Persona, slot: tuple[int, int] | None = None) -> list[Interest]:
        """`slot`: (the persona's position, number of personas) in the run, see `offered_sentences`."""
        spans = sentence_spans(chunk.text)
        askable = askable_sentences(chunk.text)
        ranking = self._ranking(persona, askable, [chunk.text[a:b] for a, b in spans])
        allowed = offered_sentences(askable, slot, self.max_interests, ranking)
        own = set(offered_sentences(askable, slot, 0, ranking))  # the persona's share, before any top-up
        if not allowed:
            return []
        sentences = {n: chunk.text[spans[n - 1][0] : spans[n - 1][1]] for n in allowed}
        offered = {n: sentence_phrases(sentences[n]) for n in allowed}
        point = point_schema(offered)
        if point is None:
            return []
        # one pick more than kept, for one lost to the checks below: each pick is ~20 tokens of JSON, decoded
        # at ~80 ms a token under the grammar (5 picks of which 3 were kept cost ~6 s a unit)
        picks = Annotated[list[point], pydantic.Field(min_length=0, max_length=self.max_interests + 1)]  # type: ignore[valid-type]
        signature = self.extract.signature.with_updated_fields("interests", type_=picks)
        result = call_lm(
            "interests",
            self.extract,
            persona=persona_text(persona),
            passage=numbered_passage(chunk),
            signature=signature,
        )
        pairs: list[tuple[int, str]] = []  # (sentence number, topic); one sentence may hold two topics
        for picked in result.interests:
            number, topic = int(picked.sentence), str(picked.topic)
            if (
                topic in offered.get(number, ())
                and grounded(topic, sentences[number])
                and all(topic.lower() != t.lower() for _, t in pairs)
            ):
                pairs.append((number, topic))
        kept = [pairs[i] for i in semantic_dedup([t for _, t in pairs], self.embedder, self.dedup_threshold)]
        kept = sorted(kept, key=lambda pair: pair[0] not in own)[
            : self.max_interests
        ]  # stable: LM order within
        return [Interest(topic, " ".join(sentences[n].split()), n) for n, topic in kept]

    def _ranking(self, persona: Persona, askable: list[int], sentences: list[str]) -> list[int] | None:
        """The askable sentence numbers, nearest the persona's example questions first (MiniLM cosine
        with their centroid; ties in chunk order); None for a persona without examples."""
        if self.examples is None:
            return None
        scores = self.examples.affinity(persona, [sentences[n - 1] for n in askable])
        if scores is None:
            return None
        return [n for _, n in sorted(zip((-float(x) for x in scores), askable))]


@dataclass(frozen=True)
class WrittenQuestion:
    """A question as written and the answer it was written for (chosen first, from its sentence)."""

    question: str
    answer: str


class QuestionWriter(dspy.Module):
    """One question per (chunk, persona, interest, question type), answer first: the LM chooses the answer
    from the interest's sentence, then writes the question whose answer it is (answer-aware question
    generation; asked for a question alone, the 1.5B model wrote questions whose answer was the document's
    heading, or that the chunk could not answer)."""

    def __init__(self, type_descriptions: dict[str, str]):
        super().__init__()
        self.write = dspy.Predict(GenerateQuestion)
        self.type_descriptions = dict(type_descriptions)

    def forward(
        self,
        chunk: Chunk,
        persona: Persona,
        interest: str,
        question_type: str,
        own_words: bool = False,
        sentence: str = "",
        asked_as: Sequence[str] = (),
    ) -> WrittenQuestion:
        """The question about `interest` (a topic), answered mostly by `sentence` of the chunk (empty: the
        whole chunk); `own_words` asks for the persona's words instead of the passage's (wording.py);
        `asked_as`: further instructions, e.g. those of the question's categories (categories.py)."""
        parts = [self.type_descriptions.get(question_type, ""), *asked_as, OWN_WORDS if own_words else ""]
        description = "; ".join(part for part in parts if part)
        # the numbered passage, as the interests and relevance calls see it: their prompts start alike, and
        # llama.cpp reuses the evaluated prefix a prompt shares with the previous one
        result = call_lm(
            "generation",
            self.write,
            persona=persona_text(persona),
            passage=numbered_passage(chunk),
            examples=example_lines(persona),
            interest=interest,
            sentence=sentence or "(any sentence of the passage)",
            question_type=f"{question_type}: {description}",
            language=language_label(chunk.text),
        )
        question = without_source_reference(re.sub(r"([?？])\1+", r"\1", " ".join(result.question.split())))
        return WrittenQuestion(question, " ".join(str(result.answer).split()))
