"""Sentences and words in any script, from ICU's Unicode text segmentation (the `icu4py` bindings).

ICU implements Unicode's sentence boundaries (UAX #29), which know the terminators of the major scripts
(`. ! ?`, the CJK full stop and question/exclamation marks `。？！`, the Devanagari danda `।`, the Arabic
question mark `؟` ...), and a dictionary-based word breaker for scripts written without spaces between
words (Chinese, Japanese, Thai, Lao, Khmer, Burmese). Both are used here instead of hand-written rules.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Scripts written without spaces between words: Han (CJK ideographs and their extensions and compatibility
# forms), Hiragana, Katakana, Thai, Lao, Myanmar, Khmer. Korean Hangul is written with spaces.
UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3005\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]+"
)
# Characters outside the Basic Multilingual Plane count twice in ICU's UTF-16 offsets.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# Line and paragraph separators, read as spaces so that a line break alone never ends a sentence
# (hard-wrapped text); blank lines end one (see `sentence_ends`).
_LINE_BREAKS_AS_SPACES = str.maketrans(dict.fromkeys("\n\r\x0b\x0c\x85\u2028\u2029", " "))
_BLANK_LINE = re.compile(r"\n\s*\n")
# Texts up to this length (chunks, not whole documents) have their sentence ends cached.
_CACHED_UP_TO = 20_000


def sentence_ends(text: str) -> list[int]:
    """Offsets (in characters, ascending, the last one `len(text)`) where a sentence of `text` ends.

    A sentence ends where ICU's sentence break iterator (Unicode UAX #29, any script) puts a boundary in
    the text with its line breaks read as spaces, and after every blank line. Whitespace after a
    terminator belongs to the sentence before it, so the sentences cover the text contiguously. A
    chunk is segmented once: every step of its unit asks for its sentences (`_cached_sentence_ends`); a
    longer text, a whole document being chunked, is not kept.
    """
    if len(text) > _CACHED_UP_TO:
        return list(_sentence_ends(text))
    return list(_cached_sentence_ends(text))


@lru_cache(maxsize=2048)
def _cached_sentence_ends(text: str) -> tuple[int, ...]:
    return _sentence_ends(text)


def _sentence_ends(text: str) -> tuple[int, ...]:
    from icu4py.breakers import SentenceBreaker

    flat = text.translate(_LINE_BREAKS_AS_SPACES)
    ends = {end for _, end in _char_segments(SentenceBreaker(flat, "en"), text)}
    ends.update(match.end() for match in _BLANK_LINE.finditer(text))
    ends.add(len(text))
    return tuple(sorted(end for end in ends if end > 0))


def line_breaks(text: str) -> list[int]:
    """Offsets (in characters, ascending) where ICU's line break iterator (Unicode UAX #14) may wrap
    `text`: after spaces and hyphens, between CJK characters but not inside a number, between Thai, Lao,
    Khmer and Burmese words (dictionary-based). Excludes 0 and `len(text)`."""
    from icu4py.breakers import LineBreaker

    return [end for _, end in _char_segments(LineBreaker(text, "en"), text)][:-1]


def words(text: str) -> list[str]:
    """The words of `text` in order, from ICU's word break iterator: dictionary-based for Chinese,
    Japanese, Thai, Lao, Khmer and Burmese, Unicode UAX #29 rules elsewhere. Punctuation and spaces are
    not words; a number is."""
    from icu4py.breakers import WordBreaker

    return [
        text[start:end]
        for start, end in _char_segments(WordBreaker(text, "en"), text)
        if any(ch.isalnum() for ch in text[start:end])
    ]


def content_words(text: str) -> set[str]:
    """The content words of `text`, lowercased: words (`words`) of 4+ characters, or any word of a
    non-Latin script (a Chinese word of two characters says as much as an English one of eight)."""
    return {w.lower() for w in words(text) if len(w) >= 4 or not w.isascii()}


def stems(text: str) -> set[str]:
    """`content_words` on their first 5 characters, so "remotely" meets "remote" and "replacing" meets
    "replace" (a crude stemmer that reads any script)."""
    return {w[:5] for w in content_words(text)}


def spaced(text: str) -> str:
    """`text` with spaces around the words of the scripts written without spaces (see `UNSPACED`), so
    that tokenisers splitting on spaces and punctuation see words: "远程办公补贴" -> " 远程  办公  补贴 ".
    Text without such scripts is returned unchanged."""
    if not UNSPACED.search(text):
        return text
    from icu4py.breakers import WordBreaker

    pieces = (text[start:end] for start, end in _char_segments(WordBreaker(text, "en"), text))
    return "".join(f" {piece} " if UNSPACED.search(piece) else piece for piece in pieces)


def _char_segments(breaker: object, text: str) -> list[tuple[int, int]]:
    """ICU's segments of `text` as (start, end) character offsets; ICU counts UTF-16 code units."""
    segments: list[tuple[int, int]] = list(breaker.segments())  # type: ignore[attr-defined]
    if not _ASTRAL.search(text):
        return segments
    encoded = text.encode("utf-16-le")
    converted: list[tuple[int, int]] = []
    position = 0
    for start, end in segments:
        length = len(encoded[2 * start : 2 * end].decode("utf-16-le"))
        converted.append((position, position + length))
        position += length
    return converted
