"""Evidence a judge quotes, found in the chunk without an LM.

The relevance judge copies the sentence(s) that answer a question. A "fully" verdict whose quote cannot
be found in the chunk is not kept (stage `evidence`): a small judge that says "fully" about a question
on something the chunk never mentions usually cannot quote it either.

Matching ignores case and runs of whitespace. A quote is found when it occurs verbatim, or when the
characters it shares, in order, with one region of the chunk cover at least `TOLERANCE` of it (a judge
that drops a word or changes punctuation); a quote joined by an ellipsis is matched part by part."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from pydantic import BaseModel

TOLERANCE = 0.9  # share of a quote (in characters, normalised) that one verbatim block must cover
MIN_PART = 12  # characters: shorter pieces between ellipses are not matched on their own
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…|\n)+\s*")


class Evidence(BaseModel):
    """A span of a chunk that supports the answer: `text` is `chunk.text[start:end]`."""

    chunk_id: str
    start: int
    end: int
    text: str


def _normalised(text: str) -> tuple[str, list[int]]:
    """Lower-cased NFKC text with whitespace runs as one space, and the original offset of each character."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        for piece in unicodedata.normalize("NFKC", char).lower():
            if piece.isspace():
                if chars and chars[-1] == " ":
                    continue
                piece = " "
            chars.append(piece)
            offsets.append(index)
    return "".join(chars), offsets


def normalised(text: str) -> str:
    """`text` as quotes and chunks are compared: NFKC, lower case, whitespace runs as one space, trimmed."""
    return _normalised(text)[0].strip()


def _fuzzy(haystack: str, needle: str) -> tuple[int, int] | None:
    """(start, length) of the region of `haystack` around the longest block shared with `needle` whose
    matching characters cover at least TOLERANCE of `needle`; None when no region does."""
    block = SequenceMatcher(None, haystack, needle, autojunk=False).find_longest_match(
        0, len(haystack), 0, len(needle))
    if block.size == 0:
        return None
    low = max(0, block.a - block.b - len(needle) // 10)
    window = haystack[low: block.a - block.b + len(needle) + len(needle) // 10]
    blocks = [b for b in SequenceMatcher(None, window, needle, autojunk=False).get_matching_blocks() if b.size]
    if sum(b.size for b in blocks) < TOLERANCE * len(needle):
        return None
    first, last = blocks[0], blocks[-1]
    return low + first.a, last.a + last.size - first.a


def locate(quote: str, chunk_id: str, chunk_text: str) -> list[Evidence] | None:
    """The spans of `chunk_text` that `quote` copies, or None when some part of it is not there."""
    haystack, offsets = _normalised(chunk_text)
    parts = [p for p in _ELLIPSIS.split(quote.strip().strip('"“”')) if len(p.strip()) >= MIN_PART] \
        or [quote.strip()]
    found: list[Evidence] = []
    for part in parts:
        needle = _normalised(part.strip())[0].strip()
        if not needle:
            return None
        start = haystack.find(needle)
        length = len(needle)
        if start < 0:
            span = _fuzzy(haystack, needle)
            if span is None:
                return None
            start, length = span
        begin, end = offsets[start], offsets[start + length - 1] + 1
        found.append(Evidence(chunk_id=chunk_id, start=begin, end=end, text=chunk_text[begin:end]))
    return found
