"""Words and phrases of a question or a sentence: the units topics, word picking and openers are made of."""

from __future__ import annotations

from personaqa.programs.corpus.segmentation import UNSPACED, words
from personaqa.programs.recipe.checks.question_form import QUESTION_MARKS

MAX_TOPIC_WORDS = 4
MAX_PHRASES = 150  # per sentence: the grammar stays small
# A topic neither starts nor ends with one of these: "the reset reminder", not "the deal will" (English only).
EDGE_WORDS = frozenset("a an the of in on at to for from by with and or but is are was were be been will would "
                       "can could should may must has have had do does did it its this that these those as than "
                       "which who whom whose when where what how if not no so such their there they into onto about "
                       "over after before between per each all any some also only very called".split())
# Words that end a phrase grown around a word of a question (`phrase_around`), besides EDGE_WORDS.
_PHRASE_BREAKS = EDGE_WORDS | frozenset("why whom regarding concerning i you we my your our".split())
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
    sentence, the 1.5B model's topics were not phrases ("the deal will cut", "the filter when light"), and
    a "long and detailed" question opens with its topic. No phrase with a straight double quote or
    backslash: llama.cpp's grammar emits them raw inside the JSON string (signatures/types.py). A sample
    run opened three questions with "Regarding Harbor Analytics and Vessel," cut from "Harbor Analytics
    and Vessel Systems"."""
    tokens, joiner = question_words(sentence)
    phrases: dict[str, None] = {}
    for size in range(1, MAX_TOPIC_WORDS + 1):
        for start in range(len(tokens) - size + 1):
            run = tokens[start:start + size]
            if run[0].lower() in EDGE_WORDS or run[-1].lower() in EDGE_WORDS:
                continue
            if (start > 0 and _name_word(tokens[start - 1]) and _name_word(run[0])) or \
                    (start + size < len(tokens) and _name_word(run[-1]) and _name_word(tokens[start + size])):
                continue  # cuts a name: "Harbor Analytics and Vessel" of "... and Vessel Systems"
            phrase = joiner.join(run)
            if '"' not in phrase and "\\" not in phrase:
                phrases.setdefault(phrase)
    return tuple(phrases)[:MAX_PHRASES]


def _name_word(token: str) -> bool:
    """Whether `token` may be part of a multi-word name: capitalised and not a function word ("The")."""
    return token[:1].isupper() and token.lower() not in EDGE_WORDS


def phrase_around(question: str, word: str) -> str:
    """The phrase of `question` that holds `word`: the run of words around its first occurrence (letter
    case aside) up to the nearest function word, question word or "regarding" on either side; "" when
    `word` is not a word of the question, when the run is `word` alone, or when it is longer than
    MAX_TOPIC_WORDS. "What is the warranty coverage for the motor?" around "warranty" is "warranty
    coverage"; around "motor", "" (one word). A one-word topic widened so opens a "long and detailed"
    question (styling.lead_in) with what the question itself asks about."""
    tokens, joiner = question_words(question)
    lowered = [token.lower() for token in tokens]
    if word.lower() not in lowered:
        return ""
    at = lowered.index(word.lower())
    start, end = at, at + 1
    while start > 0 and lowered[start - 1] not in _PHRASE_BREAKS:
        start -= 1
    while end < len(tokens) and lowered[end] not in _PHRASE_BREAKS:
        end += 1
    if not 2 <= end - start <= MAX_TOPIC_WORDS:
        return ""
    return joiner.join(tokens[start:end])
