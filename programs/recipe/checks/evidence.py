"""Evidence for an answer, checked without an LM.

The relevance judge sees its passage as numbered sentences and cites the numbers of those that answer
the question; the evidence is those sentences, cut from the chunk with their offsets, so it cannot be
invented. (Asked to copy sentences, the 1.5B judge paraphrased them: "The monthly internet stipend for
remote workers at Northwind Labs is 30 euros." for "... and a monthly internet stipend of 30 euros.", and
quoted a price the manual never gives.) The judge's short answer must then be supported by the cited
sentences (`unsupported`): every number it holds is in them, and most of its words are. The judge
often gives the right answer with the wrong sentence number ("check that the filter sits flat in its
frame", citing the sentence before it), so when the cited sentences do not hold the answer the one
sentence of the chunk that holds it best is the evidence (`supporting`). A "fully" verdict whose answer
no sentence of the chunk holds is not kept (stage `evidence`)."""

from __future__ import annotations

import re

from personaqa.programs.core.records import Evidence
from personaqa.programs.corpus.segmentation import content_words, sentence_ends, stems

SUPPORT = (
    0.6  # share of an answer's words (of 4+ characters, or any non-Latin word) the cited sentences must hold
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of `text` (segmentation.sentence_ends), without
    their surrounding whitespace; empty sentences dropped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for end in sentence_ends(text):
        piece = text[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((start + lead, start + len(piece.rstrip())))
        start = end
    return spans


def numbered(text: str) -> str:
    """`text` as one numbered sentence a line: "[1] The AeroFlow 300 has three fan speeds.\n[2] ..."."""
    return "\n".join(
        f"[{i}] {' '.join(text[a:b].split())}" for i, (a, b) in enumerate(sentence_spans(text), 1)
    )


def cited(numbers: list[int], chunk_id: str, chunk_text: str) -> list[Evidence]:
    """The sentences of `chunk_text` with the given 1-based numbers (as `numbered` shows them), in order,
    once each; numbers out of range are ignored."""
    spans = sentence_spans(chunk_text)
    chosen = sorted({n for n in numbers if 1 <= n <= len(spans)})
    return [
        Evidence(
            chunk_id=chunk_id,
            start=spans[n - 1][0],
            end=spans[n - 1][1],
            text=chunk_text[spans[n - 1][0] : spans[n - 1][1]],
        )
        for n in chosen
    ]


def unsupported(answer: str, evidence: list[Evidence]) -> str | None:
    """Why the cited sentences do not hold `answer`, or None when they do: each number of the answer
    occurs in them, and at least `SUPPORT` of its content words (4+ characters, or non-Latin) do too
    (compared on their first 5 characters, so "remotely" holds "remote")."""
    if not evidence:
        return "cites no sentence of the chunk"
    held = " ".join(e.text for e in evidence)
    numbers = set(_NUMBER.findall(held))
    missing = [n for n in _NUMBER.findall(answer) if n not in numbers]
    if missing:
        return f"the answer's {missing[0]} is not in the cited sentences"
    if not any(ch.isalnum() for ch in answer):
        return "gives no answer"  # "" or "," (SmolLM2's answer to a question with a template slot)
    asked = stems(answer)
    if not asked:
        return None
    found = asked & stems(held)
    if len(found) < SUPPORT * len(asked):
        return f"the cited sentences hold {len(found)} of the answer's {len(asked)} content words"
    return None


_YES_NO = re.compile(r"^\W*(?:yes|no)\b", re.IGNORECASE)


def restates(answer: str, question: str) -> bool:
    """Whether `answer` only repeats `question`: it has content words, each of them (whole, letter case
    aside) and each of its numbers is in the question, and it is no yes/no answer. The 1.5B judge answered
    "What are the five container ports?" with "five container ports" (a sample run; the passage names none
    of them) and said "fully"; on CISI, "Regarding Nyquist and Hartley, who are the authors of the important
    papers on communication theory?" had its answer in its opener. Whole words, not the first 5
    characters: "HarborOne" answers a question about "Harbor Analytics"."""
    asked = content_words(answer)
    if not asked or _YES_NO.match(answer):
        return False
    return asked <= content_words(question) and set(_NUMBER.findall(answer)) <= set(_NUMBER.findall(question))


def supporting(
    answer: str, numbers: list[int], chunk_id: str, chunk_text: str, question: str = ""
) -> tuple[list[Evidence], str | None]:
    """The evidence for `answer` to `question`: the cited sentences when they hold it, else the sentence of
    the chunk that holds the most of its content words, if it holds it (`unsupported` is None); with the
    reason the cited sentences fail when none does, or that the answer only repeats the question
    (`restates`)."""
    if question and restates(answer, question):
        return [], "the answer only repeats the question"
    evidence = cited(numbers, chunk_id, chunk_text)
    problem = unsupported(answer, evidence)
    if problem is None:
        return evidence, None
    asked = stems(answer)
    best: list[Evidence] = []
    best_found = -1
    for number in range(1, len(sentence_spans(chunk_text)) + 1):
        candidate = cited([number], chunk_id, chunk_text)
        found = len(asked & stems(candidate[0].text))
        if found > best_found and unsupported(answer, candidate) is None:
            best, best_found = candidate, found
    return (best, None) if best else ([], problem)
