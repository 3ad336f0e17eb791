"""Words and phrases of a question or a sentence: the units topics are made of."""

from __future__ import annotations

from personaqa.programs.corpus.segmentation import UNSPACED, words
from personaqa.programs.recipe.checks.question_form import QUESTION_MARKS

MAX_TOPIC_WORDS = 4
MAX_PHRASES = 150  # per sentence: the grammar stays small
# A topic neither starts nor ends with one of these: "the reset reminder", not "the deal will" (English only).
EDGE_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "and",
        "or",
        "but",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "will",
        "would",
        "can",
        "could",
        "should",
        "may",
        "must",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "as",
        "than",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "what",
        "how",
        "if",
        "not",
        "no",
        "so",
        "such",
        "their",
        "there",
        "they",
        "into",
        "onto",
        "about",
        "over",
        "after",
        "before",
        "between",
        "per",
        "each",
        "all",
        "any",
        "some",
        "also",
        "only",
        "very",
        "called",
    ]
)
_PUNCTUATION = ",;:.!\"'()" + "".join(QUESTION_MARKS)


def question_words(question: str) -> tuple[list[str], str]:
    """The words of `question` in order, without the question mark or clinging punctuation, and the
    string that joins them again: "" for scripts written without spaces (words found by ICU), else " "."""
    text = question.strip()
    if UNSPACED.search(text):
        return words(text), ""
    return [word for word in (piece.strip(_PUNCTUATION) for piece in text.split()) if word], " "


def sentence_phrases(sentence: str) -> tuple[str, ...]:
    """The topics a point of interest in `sentence` may have: its runs of 1 to MAX_TOPIC_WORDS consecutive
    words that neither start nor end with a function word (EDGE_WORDS) nor inside a name (two capitalised
    words in a row), each once, in order, at most MAX_PHRASES. Chosen from the words in the order of the
    sentence, the 1.5B model's topics were not phrases ("the deal will cut", "the filter when light"). No
    phrase with a straight double quote or backslash: llama.cpp's grammar emits them raw inside the JSON
    string (signatures/types.py). A topic cut from a name ("Harbor Analytics and Vessel" of "Harbor
    Analytics and Vessel Systems") named nothing."""
    tokens, joiner = question_words(sentence)
    phrases: dict[str, None] = {}
    for size in range(1, MAX_TOPIC_WORDS + 1):
        for start in range(len(tokens) - size + 1):
            run = tokens[start : start + size]
            if run[0].lower() in EDGE_WORDS or run[-1].lower() in EDGE_WORDS:
                continue
            if (start > 0 and _name_word(tokens[start - 1]) and _name_word(run[0])) or (
                start + size < len(tokens) and _name_word(run[-1]) and _name_word(tokens[start + size])
            ):
                continue  # cuts a name: "Harbor Analytics and Vessel" of "... and Vessel Systems"
            phrase = joiner.join(run)
            if '"' not in phrase and "\\" not in phrase:
                phrases.setdefault(phrase)
    return tuple(phrases)[:MAX_PHRASES]


def _name_word(token: str) -> bool:
    """Whether `token` may be part of a multi-word name: capitalised and not a function word ("The")."""
    return token[:1].isupper() and token.lower() not in EDGE_WORDS
