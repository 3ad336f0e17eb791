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

from personaqa.programs.corpus import segmentation
from personaqa.programs.corpus.segmentation import words
from personaqa.programs.recipe.checks.question_form import MONTHS

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
OVERLAP = 0.5  # share of the shorter answer's content words the other must hold (see `same_answer`)

_NUMBER_WORDS = frozenset(
    [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "thousand",
        "million",
        "billion",
        "half",
        "quarter",
        "twice",
        "once",
        "double",
        "triple",
        "single",
        "dozen",
        "several",
        "few",
    ]
)
_TIME_WORDS = MONTHS | frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "tomorrow",
        "yesterday",
        "year",
        "years",
        "month",
        "months",
        "week",
        "weeks",
        "day",
        "days",
        "hour",
        "hours",
        "minute",
        "minutes",
        "second",
        "seconds",
        "daily",
        "weekly",
        "monthly",
        "yearly",
        "annually",
        "quarterly",
        "before",
        "after",
        "within",
        "until",
        "during",
        "by",
        "since",
        "when",
        "while",
        "once",
        "every",
        "each",
        "morning",
        "evening",
        "night",
        "noon",
        "midnight",
        "spring",
        "summer",
        "autumn",
        "winter",
        "deadline",
        "period",
        "phase",
        "end",
        "start",
        "beginning",
        "first",
        "immediately",
    ]
)
_FREQUENCY_WORDS = frozenset(
    [
        "every",
        "each",
        "daily",
        "weekly",
        "monthly",
        "yearly",
        "annually",
        "always",
        "never",
        "often",
        "rarely",
        "sometimes",
        "usually",
        "once",
        "twice",
        "per",
    ]
)
# English questions that ask for a time or an amount, and what their answer must hold
_ASKS_WHEN = re.compile(
    r"^\s*(?:when\b|(?:until|by|since)\s+when\b|(?:on|in)\s+what\s+(?:date|day|year|month)\b|"
    r"what\s+(?:date|day|year|month|time|deadline)\b)",
    re.IGNORECASE,
)
_ASKS_AMOUNT = re.compile(
    r"\bhow\s+(?:many|much|long|often|far|big|large|old)\b|\bwhat\s+(?:percentage|"
    r"share|proportion|fraction|number|amount|price|cost)\b",
    re.IGNORECASE,
)


def content_words(text: str) -> set[str]:
    """The words an answer is compared on (`segmentation.stems`: 4+ letters, or a word of a non-Latin
    script, on their first 5 characters, "remotely" ~ "remote"), without numbers: those are compared on
    their own (`same_answer`)."""
    return {w[:5] for w in segmentation.content_words(text) if not _NUMBER.fullmatch(w)}


def _scripts(text: str) -> set[str]:
    """The scripts of `text`'s letters: the first word of their Unicode names (LATIN, CJK, HIRAGANA ...)."""
    out = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            out.add(name.split(" ")[0] if name else "?")
    return out


# A rate an amount is given in ("5 pounds is charged for each 15 minutes", "11 million euros a year"): an
# amount without it is not the answer (a reader marked the late fee "5 pounds" wrong for dropping
# "for each 15 minutes").
_UNITS = (
    r"seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|terms?|sessions?|persons?|people|"
    r"child|children|adults?|visits?|trips?|journeys?|rides?|tickets?|users?|employees?|items?|units?|"
    r"km|kg|kilometres?|kilograms?|litres?|liters?|metres?|meters?"
)
_RATE_AFTER = re.compile(
    r"^(?:\s+[^\s.;:!?]+){0,3}?\s+(?:(?:for|in)\s+(?:each|every)|per|each|every|an?)\s+"
    r"(?:\d+(?:[.,]\d+)*\s+)?(?:" + _UNITS + r")\b",
    re.IGNORECASE,
)


# What a sentence only wants, proposes or supposes ("It also wants a cap on maintenance fees for at least
# seven years"), and the words by which a question says it is asking about such a thing.
# "How long will the cap on maintenance fees last at HarborOne?" asked a demand as a fact (a reader marked
# it wrong in a sample run).
_PROPOSED = re.compile(
    r"\b(?:asks?|asked|wants?|wanted|calls? for|called for|demands?|demanded|propos(?:es|ed|e)|"
    r"urges?|urged|requests?|requested|seeks?|sought|suggests?|suggested|recommends?|"
    r"recommended|plans? to|planned to|would|could|might)\b",
    re.IGNORECASE,
)
_ASKS_PROPOSED = re.compile(
    r"\b(?:ask|want|call|demand|propos|urg|request|seek|sought|suggest|recommend|plan|"
    r"would|could|might|should|expect|hope|objection|object)\w*",
    re.IGNORECASE,
)


def asked_as_fact(question: str, sentence: str) -> str | None:
    """Why `question` asks as a fact what its answer's `sentence` only wants, proposes or supposes, or None
    (English questions): the sentence has such a verb ("wants", "asks", "proposes", "would") and the
    question none of that kind."""
    if not _ENGLISH_QUESTION.match(question):
        return None
    proposed = _PROPOSED.search(sentence)
    if proposed and not _ASKS_PROPOSED.search(question):
        return f"asks as a fact what its sentence only proposes ('{proposed.group(0)}')"
    return None


def has_number(text: str) -> bool:
    """Whether `text` holds a number in digits or a number word ("three", "twice", "half")."""
    return bool(_NUMBER.search(text)) or bool({w.lower() for w in words(text)} & _NUMBER_WORDS)


def whole_answer(answer: str, chunk_text: str) -> str:
    """`answer` with the rate its amount is given in, when the chunk follows it within three words by one
    ("5 pounds" -> "5 pounds is charged for each 15 minutes", "three days" -> "three days per week"), cut
    from the chunk as it is; else `answer`. Only an answer found in the chunk as it is (letter case and
    spacing aside) and holding a number or a number word."""
    said = " ".join(answer.split())
    if not has_number(said):
        return answer
    flat = " ".join(chunk_text.split())
    start = flat.lower().find(said.lower())
    if start < 0:
        return answer
    end = start + len(said)
    rate = _RATE_AFTER.match(flat[end:])
    return flat[start : end + rate.end()] if rate else answer


def copied_sentence(answer: str) -> bool:
    """Whether `answer` is a sentence copied whole (six words or more, ending with a full stop): the 1.5B
    writer often gives its sentence as the answer ("The monthly pass goes up from 58 to 64 euros." for
    "64 euros"), where the judge's shorter answer is the one to keep."""
    said = answer.strip()
    return said.endswith((".", "。")) and len(said.split()) >= 6


def kept_answer(intended: str, judged: str, chunk_text: str, judged_cap: int) -> str:
    """The answer a round-trip-checked question keeps, given that the writer's `intended` answer and the
    blind judge's `judged` one agree (`same_answer`):
    - the judge's, with its rate (`whole_answer`), when the writer copied its whole sentence
      (`copied_sentence`) and the judge's is shorter and not cut at its `judged_cap` ("The monthly pass goes
      up from 58 to 64 euros." -> "64 euros");
    - the judge's, with its rate, when it is a part of the intended answer found as it is in the chunk and
      carrying every number of it: the two agree on the core, and the writer's extra words are where a cut-out
      fragment goes wrong ("The department head and reviewed every twelve months" -> "every twelve months",
      three sample runs in a row); "... every six months until 2028" stays, the judge's lacks 2028, and
      so does "on 12 March 2026", whose other words say nothing;
    - else the intended answer."""
    core = " ".join(judged.split()).rstrip(".。 ")
    if not core or len(judged) >= judged_cap - 10:
        return intended
    if copied_sentence(intended) and len(judged) < len(intended):
        return whole_answer(judged, chunk_text)
    flat_intended = " ".join(intended.split()).lower()
    if (
        len(core) < len(flat_intended.rstrip(".。 "))
        and core.lower() in flat_intended
        and core.lower() in " ".join(chunk_text.split()).lower()
        and set(_NUMBER.findall(intended)) <= set(_NUMBER.findall(core))
        and content_words(flat_intended.replace(core.lower(), " ", 1))
    ):
        return whole_answer(core, chunk_text)
    return intended


_AMOUNT_FILLER = (
    _NUMBER_WORDS
    | _TIME_WORDS
    | frozenset(
        [
            "euro",
            "euros",
            "pound",
            "pounds",
            "dollar",
            "dollars",
            "cent",
            "cents",
            "pence",
            "percent",
            "per",
            "pm",
            "am",
            "a",
            "an",
            "the",
            "of",
            "on",
            "in",
            "at",
            "by",
            "about",
            "around",
            "up",
            "to",
            "from",
            "and",
            "or",
            "some",
            "nearly",
            "almost",
            "over",
            "under",
            "least",
            "most",
            "than",
            "more",
            "less",
        ]
    )
)
# What an English question asks for when a bare figure answers it: a time or amount (_ASKS_WHEN,
# _ASKS_AMOUNT), a figure-like thing as what it asks about ("What is the break fee ...",
# "What percentage ..."), or a verb of paying ("What will the new fare structure cost the city?").
# A figure-like word elsewhere does not count: "What will the council's change in bus fares affect?" asks
# for what is affected.
_FIGURE_NOUNS = (
    r"cost|costs|price|prices|fee|fees|fine|fines|fare|fares|charge|charges|budget|salary|wage|rate|"
    r"rates|percentage|percent|share|total|number|amount|value|size|limit|threshold|sum|capacity|"
    r"deposit|stipend|allowance|penalty|discount|reduction|increase|rise|fall|drop|distance|"
    r"duration|age|score|count|figure|level|deadline|date|day|year|time|period|revenue|profit|income|"
    r"loss|savings|temperature|weight|speed|volume|frequency"
)
_ASKS_FIGURE = re.compile(
    r"^\s*(?:what|which)\s+(?:(?:is|was|are|were|will\s+be|would\s+be)\s+(?:the\s+|a\s+|an\s+)?)?"
    r"(?:[\w'-]+\s+){0,3}?(?:" + _FIGURE_NOUNS + r")\b"
    r"|\b(?:cost|costs|pay|pays|paid|charge|charged|earn|earns|save|saves|spend|spends|raise|raises|worth|owed)\b",
    re.IGNORECASE,
)
_ENGLISH_QUESTION = re.compile(
    r"^\s*(?:what|which|who|whom|whose|where|why|how|when|is|are|was|were|does|do|did|"
    r"can|could|will|would|should|must|may)\b",
    re.IGNORECASE,
)


def figure_only(answer: str) -> bool:
    """Whether `answer` is a bare figure: a number, with nothing but units, currencies and time words
    ("11 million euros a year", "on 9 October 2025", "30 percent")."""
    if not has_number(answer):
        return False
    return all(_NUMBER.fullmatch(w) or w.lower() in _AMOUNT_FILLER for w in words(answer))


def heading_lines(chunk_text: str, title: str = "") -> set[str]:
    """The chunk's Markdown headings and its document title, normalised (lowercase, single spaces)."""
    lines = {
        " ".join(line.lstrip("#").split()).lower()
        for line in chunk_text.splitlines()
        if line.lstrip().startswith("#")
    }
    if title.strip():
        lines.add(" ".join(title.split()).lower())
    return lines - {""}


def answer_problem(
    answer: str, question: str, chunk_text: str, title: str = "", cap: int | None = None
) -> str | None:
    """Why `answer` is no answer to `question` from its chunk, or None:
    - it holds no letter or digit, or reaches the `cap` of its field (cut mid-phrase);
    - it is a heading of the chunk or the document's title;
    - it is written in a script the chunk does not use;
    - the question asks "when" and it holds no date or time, or asks "how many / much / long / often"
      (or for a percentage, number, price) and it holds no number or amount (English questions);
    - it is a bare figure (`figure_only`) and the English question asks for no figure, amount or time
      ("What will the council's change in bus fares affect?" -> "11 million euros a year")."""
    said = " ".join(answer.split())
    if not any(ch.isalnum() for ch in said):
        return "gives no answer"
    if cap is not None and len(answer) >= cap:
        return f"is cut at its {cap}-character cap"
    if said.lower().rstrip(".") in heading_lines(chunk_text, title):
        return "is the document's heading"
    foreign = _scripts(said) - _scripts(chunk_text)
    if foreign:
        return f"is written in a script the chunk does not use ({min(foreign)})"
    lowered = {w.lower() for w in words(said)}
    numbered = has_number(said)
    if _ASKS_WHEN.search(question) and not (numbered or lowered & _TIME_WORDS):
        return "gives no date or time for a 'when' question"
    if _ASKS_AMOUNT.search(question) and not (numbered or lowered & _FREQUENCY_WORDS):
        return "gives no number or amount for a 'how many / much' question"
    if (
        figure_only(said)
        and _ENGLISH_QUESTION.match(question)
        and not (
            _ASKS_WHEN.search(question) or _ASKS_AMOUNT.search(question) or _ASKS_FIGURE.search(question)
        )
    ):
        return "is a bare figure, and the question asks for no figure, amount or time"
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
    short, long = sorted((intended, judged), key=lambda text: (len(content_words(text)), len(text)))
    numbers = set(_NUMBER.findall(long))
    if any(n not in numbers for n in _NUMBER.findall(short)):
        return False
    mine, theirs = content_words(short), content_words(long)
    if not mine and _NUMBER.search(short):
        return True  # a bare figure: its numbers are in the other answer
    if not mine or not theirs:
        first = lambda text: (words(text) or [""])[0].lower()
        return first(intended) == first(judged)
    return len(mine & theirs) >= OVERLAP * len(mine)
