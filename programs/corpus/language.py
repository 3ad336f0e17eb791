"""Which language a text is written in, and whether a question is in the language of its chunk.

Detection is `py3langid` (a maintained fork of Lui & Baldwin's langid.py: a naive Bayes model over byte
n-grams for about 140 languages, shipped inside the package, deterministic, offline); language names come from
`pycountry`'s ISO 639 tables. Short texts carry little evidence, so a detection below
`MIN_CONFIDENCE` is no detection at all, and a question is never rejected on a guess.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

# Probability (langid's length-calibrated softmax) below which a detection is not trusted: measured on
# questions, "Was ist BM25?" gets de 0.45, "How much?" en 0.48, full questions 0.7-1.0.
MIN_CONFIDENCE = 0.6
# Characters of a chunk that are enough to tell its language; detection time grows with length.
_CHUNK_SAMPLE = 2000
# Codes the model emits that name no language, or a dialect scored apart from its language.
_NO_LANGUAGE = {"zxx", "und"}
_SAME_AS = {"yue": "zh", "wuu": "zh", "ary": "ar", "arz": "ar", "nn": "no", "uzs": "uz"}


def detect_language(text: str, min_confidence: float = MIN_CONFIDENCE) -> str | None:
    """The ISO 639-1 code of the language `text` is written in ("de", "zh"; ISO 639-3 where a language
    has no two-letter code), or None when the detector's probability is below `min_confidence` (short or
    mixed text, numbers and names only). Regional varieties the model scores apart (Cantonese, Egyptian
    Arabic, Nynorsk ...) are reported as their language ("zh", "ar", "no"). Deterministic, and cached: a
    chunk's language is asked by every step of its unit."""
    return _detected(text[:_CHUNK_SAMPLE], min_confidence)


@lru_cache(maxsize=8192)
def _detected(text: str, min_confidence: float) -> str | None:
    code, confidence = _identifier().classify(text)
    if confidence < min_confidence or code in _NO_LANGUAGE:
        return None
    return _SAME_AS.get(code, code)


def language_name(code: str) -> str:
    """The English name of an ISO 639-1 or 639-3 code ("de" -> "German", "el" -> "Modern Greek"), from
    pycountry; the code itself when it is unknown."""
    import pycountry

    field = "alpha_2" if len(code) == 2 else "alpha_3"
    language = pycountry.languages.get(**{field: code.lower()})
    if language is None:
        return code
    return re.sub(r"\s*\(.*\)$", "", language.name)


def language_problem(question: str, chunk_text: str) -> str | None:
    """Why `question` does not fit its chunk's language, e.g. "question is in English (en), its chunk in
    German (de)"; None when both are in the same language or either language is not confidently
    detected (see `detect_language`)."""
    asked = detect_language(question)
    written = detect_language(chunk_text) if asked else None
    if asked is None or written is None or asked == written:
        return None
    return (
        f"question is in {language_name(asked)} ({asked}), its chunk in {language_name(written)} ({written})"
    )


def unrecognised_language(sentence: str, chunk_text: str) -> str | None:
    """Why a full-sentence rewrite cannot be trusted to be in its chunk's language: the chunk's language is
    detected and the sentence's is not (seen: a 1.5B rewrite drifting from English into Norwegian
    mid-question, "As for as sensor lightråser, hva betyr det ..."). None otherwise. Not for keyword queries,
    whose few words a detector rarely recognises."""
    if detect_language(sentence) is None and detect_language(chunk_text) is not None:
        return (
            f"is in no recognisable language (its chunk is in {language_name(detect_language(chunk_text))})"
        )
    return None


@cache
def _identifier() -> LanguageIdentifier:
    """The model, loaded once per process (about 1 s) with probabilities normalised to sum to 1."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
