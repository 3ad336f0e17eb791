"""Checks of a question's intended answer, without an LM: is it an answer at all, does it give what the
question asks for, and does the judge, answering the question blind, find the same one (round trip).

Answer-first generation (`signatures.GenerateQuestion`) chooses the answer from a sentence of the chunk
before writing its question. The round-trip check follows Alberti et al. (ACL 2019, "Synthetic QA Corpora
Generation with Roundtrip Consistency"): a question is kept only when answering it from the passage, without
seeing the intended answer, gives that answer back. Here the relevance judge's answer is compared with the
intended one on their content words and numbers (`same_answer`).

What a reader of a sample run found wrong in kept answers, each made a reason here: the document's heading
as the answer ("Port operators object to the HarborOne plan" for four questions), a "when" question answered
without a date, an answer in another script than its chunk ("container港口"), an answer cut mid-phrase at its
field's length."""

from __future__ import annotations

import re
import unicodedata

from personaqa.programs.corpus.segmentation import words

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
OVERLAP = 0.5  # share of the shorter answer's content words the other must hold (see `same_answer`)

_NUMBER_WORDS = frozenset("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                          "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
                          "eighty ninety hundred thousand million billion half quarter twice once double triple "
                          "single dozen several few".split())
_TIME_WORDS = frozenset("january february march april may june july august september october november december "
                        "monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday year "
                        "years month months week weeks day days hour hours minute minutes second seconds daily "
                        "weekly monthly yearly annually quarterly before after within until during by since "
                        "when while once every each morning evening night noon midnight spring summer autumn "
                        "winter deadline period phase end start beginning first immediately".split())
_FREQUENCY_WORDS = frozenset("every each daily weekly monthly yearly annually always never often rarely "
                             "sometimes usually once twice per".split())
# English questions that ask for a time or an amount, and what their answer must hold
_ASKS_WHEN = re.compile(r"^\s*(?:when\b|(?:until|by|since)\s+when\b|(?:on|in)\s+what\s+(?:date|day|year|month)\b|"
                        r"what\s+(?:date|day|year|month|time|deadline)\b)", re.IGNORECASE)
_ASKS_AMOUNT = re.compile(r"\bhow\s+(?:many|much|long|often|far|big|large|old)\b|\bwhat\s+(?:percentage|"
                          r"share|proportion|fraction|number|amount|price|cost)\b", re.IGNORECASE)


def _content(text: str) -> set[str]:
    """Content words of `text` on their first 5 characters ("remotely" ~ "remote"): 4+ letters, or a word
    of a non-Latin script; numbers are compared on their own (`same_answer`)."""
    return {w.lower()[:5] for w in words(text)
            if (len(w) >= 4 or not w.isascii()) and not _NUMBER.fullmatch(w)}


def _scripts(text: str) -> set[str]:
    """The scripts of `text`'s letters, by the first word of their Unicode names (LATIN, CJK, HIRAGANA ...)."""
    out = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            out.add(name.split(" ")[0] if name else "?")
    return out


def heading_lines(chunk_text: str, title: str = "") -> set[str]:
    """The chunk's Markdown headings and its document title, normalised (lowercase, single spaces)."""
    lines = {" ".join(line.lstrip("#").split()).lower() for line in chunk_text.splitlines()
             if line.lstrip().startswith("#")}
    if title.strip():
        lines.add(" ".join(title.split()).lower())
    return lines - {""}


def answer_problem(answer: str, question: str, chunk_text: str, title: str = "", cap: int | None = None) -> str | None:
    """Why `answer` is no answer to `question` from its chunk, or None:
    - it holds no letter or digit, or reaches the `cap` of its field (cut mid-phrase);
    - it is a heading of the chunk or the document's title;
    - it is written in a script the chunk does not use;
    - the question asks "when" and it holds no date or time, or asks "how many / much / long / often"
      (or for a percentage, number, price) and it holds no number or amount (English questions)."""
    said = " ".join(answer.split())
    if not any(ch.isalnum() for ch in said):
        return "gives no answer"
    if cap is not None and len(answer) >= cap:
        return f"is cut at its {cap}-character cap"
    if said.lower().rstrip(".") in heading_lines(chunk_text, title):
        return "is the document's heading"
    foreign = _scripts(said) - _scripts(chunk_text)
    if foreign:
        return f"is written in a script the chunk does not use ({sorted(foreign)[0]})"
    lowered = {w.lower() for w in words(said)}
    has_number = bool(_NUMBER.search(said)) or bool(lowered & _NUMBER_WORDS)
    if _ASKS_WHEN.search(question) and not (has_number or lowered & _TIME_WORDS):
        return "gives no date or time for a 'when' question"
    if _ASKS_AMOUNT.search(question) and not (has_number or lowered & _FREQUENCY_WORDS):
        return "gives no number or amount for a 'how many / much' question"
    return None


def same_answer(intended: str, judged: str) -> bool:
    """Whether the judge's answer `judged` gives the `intended` answer back: each number of the shorter
    of the two is in the longer, and at least OVERLAP of the shorter one's content words are in the other
    (so "18 July 2026" matches "by 18 July 2026 at the latest", "2.80 euros" matches the whole sentence
    "The single fare will rise from 2.40 to 2.80 euros on 1 April 2026", and "the heater switches off"
    matches "it switches off the heater"; "86 million euros" does not match "51 million euros and 35
    million euros"). An answer without content words (e.g. "Yes") matches one that opens with the same
    word, and a bare figure ("74%") one that holds its numbers."""
    if not any(ch.isalnum() for ch in judged):
        return False
    short, long = sorted((intended, judged), key=lambda text: (len(_content(text)), len(text)))
    numbers = set(_NUMBER.findall(long))
    if any(n not in numbers for n in _NUMBER.findall(short)):
        return False
    mine, theirs = _content(short), _content(long)
    if not mine and _NUMBER.search(short):
        return True  # a bare figure: its numbers are in the other answer
    if not mine or not theirs:
        first = lambda text: (words(text) or [""])[0].lower()  # noqa: E731
        return first(intended) == first(judged)
    return len(mine & theirs) >= OVERLAP * len(mine)
