"""Which built-in question types a sentence can answer: a comparison needs two things to compare, an
aggregation several items, a diagnosis a cause, condition or fix, a sentiment question an attitude someone
expresses (the rule `SelectQuestionTypes` states for the LM, applied here without a call).

Answer-first writing anchors each question on one sentence, and a sampled type its sentence cannot answer
is a label the question cannot live up to: in three sample runs "how long must a child ... stay at home"
was labelled comparative and "What is the frequency of the review process ...?" aggregative. With the
types fitted (sample run m9, 2026-12-03) the labels follow the sentences; the 1.5B writer mostly writes
the same question whatever type it is told ("What is the legal property of equipment ...?" came back,
labelled abstractive), so this mends the `question_type` field more than the questions.

The cues are English words; a sentence that does not read as English keeps every type (a cue list per
language would be needed). Extractive and abstractive questions fit every sentence, and custom types are
the user's own: they are never removed."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ENGLISH = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "a",
        "an",
        "is",
        "are",
        "was",
        "were",
        "for",
        "in",
        "on",
        "with",
        "by",
        "that",
        "this",
        "be",
    ]
)

_COMPARATIVE = frozenset(
    [
        "than",
        "compared",
        "compare",
        "comparison",
        "versus",
        "vs",
        "more",
        "less",
        "fewer",
        "higher",
        "lower",
        "longer",
        "shorter",
        "larger",
        "smaller",
        "bigger",
        "rise",
        "rises",
        "rose",
        "raise",
        "raises",
        "fall",
        "falls",
        "fell",
        "increase",
        "increases",
        "decrease",
        "decreases",
        "reduction",
        "reduced",
        "cut",
        "cuts",
        "unlike",
        "whereas",
        "while",
        "both",
        "differ",
        "differs",
        "difference",
        "instead",
        "rather",
        "same",
    ]
)
_DIAGNOSTIC = frozenset(
    [
        "if",
        "when",
        "whenever",
        "because",
        "since",
        "so",
        "unless",
        "case",
        "otherwise",
        "avoid",
        "due",
        "cause",
        "causes",
        "caused",
        "reason",
        "reasons",
        "until",
        "after",
        "before",
        "only",
        "fix",
        "reset",
        "replace",
        "check",
        "try",
        "lead",
        "leads",
        "result",
        "results",
        "therefore",
        "must",
        "should",
        "may",
        "allowed",
        "requires",
        "required",
        "need",
        "needs",
        "press",
        "hold",
        "phone",
        "call",
        "contact",
        "turn",
    ]
)
_SENTIMENT = frozenset(
    [
        "argue",
        "argues",
        "argued",
        "warn",
        "warns",
        "warned",
        "say",
        "says",
        "said",
        "object",
        "objects",
        "objected",
        "objection",
        "criticise",
        "criticises",
        "criticised",
        "criticize",
        "criticizes",
        "welcome",
        "welcomes",
        "welcomed",
        "fear",
        "fears",
        "concern",
        "concerns",
        "concerned",
        "worry",
        "worries",
        "worried",
        "complain",
        "complains",
        "claim",
        "claims",
        "believe",
        "believes",
        "hope",
        "hopes",
        "oppose",
        "opposes",
        "support",
        "supports",
        "praise",
        "praised",
        "blame",
        "blamed",
        "insist",
        "insists",
        "want",
        "wants",
        "asks",
        "ask",
        "demand",
        "demands",
        "urge",
        "urges",
        "angry",
        "happy",
        "unhappy",
        "disappointed",
        "satisfied",
        "pleased",
    ]
)


def _words(sentence: str) -> list[str]:
    return _WORD.findall(sentence.lower())


def reads_as_english(sentence: str) -> bool:
    """Whether at least two of the sentence's words are common English function words."""
    return len([w for w in _words(sentence) if w in _ENGLISH]) >= 2


def supports(question_type: str, sentence: str) -> bool:
    """Whether `sentence` can answer a question of the built-in `question_type`:
    - comparative: two numbers, or a word of comparison or change ("than", "from ... to" with a rise);
    - aggregative: several items: two numbers, two commas, or a comma and an "and" / "or";
    - diagnostic: a cause, condition, rule or fix ("if", "because", "so that", "must", "replace");
    - sentiment: someone's expressed attitude ("argue", "warn", "object", "wants");
    - extractive, abstractive, any other type: always.
    A sentence that does not read as English (`reads_as_english`) supports every type."""
    if not reads_as_english(sentence):
        return True
    words = set(_words(sentence))
    numbers = len(_NUMBER.findall(sentence))
    if question_type == "comparative":
        return numbers >= 2 or bool(words & _COMPARATIVE)
    if question_type == "aggregative":
        commas = sentence.count(",")
        return numbers >= 2 or commas >= 2 or (commas >= 1 and bool(words & {"and", "or"}))
    if question_type == "diagnostic":
        return bool(words & _DIAGNOSTIC)
    if question_type == "sentiment":
        return bool(words & _SENTIMENT)
    return True


def fitting_types(types: Iterable[str], sentence: str) -> list[str]:
    """The `types` (in order) that `sentence` supports; every type when `sentence` is empty (an interest
    given by hand, without its sentence)."""
    return [t for t in types if not sentence or supports(t, sentence)]
