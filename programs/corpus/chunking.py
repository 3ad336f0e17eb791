"""Sentence-aware chunking with overlap; every character of a document lands in some chunk.

Sentences come from `programs.corpus.segmentation` (ICU, any script), so Chinese, Hindi or Arabic text is
packed at its own sentence ends exactly as English is at full stops."""

from __future__ import annotations

from collections.abc import Iterator

from personaqa.programs.core.records import Chunk, Document
from personaqa.programs.corpus.segmentation import line_breaks, sentence_ends


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of `text`, in order; together they cover it."""
    spans: list[tuple[int, int]] = []
    start = 0
    for end in sentence_ends(text):
        spans.append((start, end))
        start = end
    return spans


def _heading(piece: str) -> bool:
    """Whether a sentence span is a Markdown heading line alone ("## Specifications")."""
    text = piece.strip()
    return text.startswith("#") and "\n" not in text


def _split_long(text: str, spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Spans longer than `size` cut into pieces of at most `size` characters, each at the last place in
    reach where a line may wrap (between words, also in Thai or Chinese; see `line_breaks`), else hard."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        while end - start > size:
            # one character past the reach, so that a break right at the reach is seen
            cut = start + next(reversed(line_breaks(text[start : start + size + 1])), size)
            out.append((start, cut))
            start = cut
        out.append((start, end))
    return out


def chunk_document(doc: Document, size: int = 1200, overlap: int = 200) -> Iterator[Chunk]:
    """Pack whole sentences into chunks of at most `size` characters, repeating up to `overlap` characters."""
    if size <= 0 or overlap < 0 or overlap >= size:
        raise ValueError("chunk size must be positive and overlap in [0, size)")
    spans = _split_long(doc.text, sentence_spans(doc.text), size)
    index = 0
    i = 0
    while i < len(spans):
        j = i
        while j < len(spans) and spans[j][1] - spans[i][0] <= size:
            j += 1
        j = max(j, i + 1)
        while j < len(spans) and j - 1 > i and _heading(doc.text[spans[j - 1][0] : spans[j - 1][1]]):
            j -= 1  # a heading opens the next chunk, not closes this one ("…ことがあります。\n\n## 仕様")
        start, end = spans[i][0], spans[j - 1][1]
        text = doc.text[start:end]
        if text.strip():
            lead = len(text) - len(text.lstrip())
            yield Chunk(
                chunk_id=f"{doc.doc_id}#c{index}",
                doc_id=doc.doc_id,
                title=doc.title,
                text=text.strip(),
                start=start + lead,
            )
            index += 1
        if j >= len(spans):
            break
        # Step back only while the next chunk can still reach the next new sentence within `size`.
        k = j
        while k - 1 > i and end - spans[k - 1][0] <= overlap and spans[j][1] - spans[k - 1][0] <= size:
            k -= 1
        i = k
