"""Chunking: bounded size, overlap, full coverage of the document, stable ids."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from personaqa.programs.core.records import Document
from personaqa.programs.corpus.chunking import chunk_document, sentence_spans


def sentences(n: int, width: int = 40) -> str:
    return " ".join(f"Sentence {i:03d} " + "x" * (width - 15) + "." for i in range(n))


def doc(text: str, doc_id: str = "doc") -> Document:
    return Document(doc_id=doc_id, title="T", text=text)


def check_invariants(document: Document, chunks, size: int) -> None:
    """Every chunk is a verbatim slice ≤ size, and every non-whitespace character is in some chunk."""
    covered = [False] * len(document.text)
    for chunk in chunks:
        assert chunk.doc_id == document.doc_id
        assert chunk.title == document.title
        assert chunk.text, "no empty chunks"
        assert chunk.text == chunk.text.strip()
        assert len(chunk.text) <= size
        assert document.text[chunk.start : chunk.start + len(chunk.text)] == chunk.text
        for pos in range(chunk.start, chunk.start + len(chunk.text)):
            covered[pos] = True
    missing = [i for i, ch in enumerate(document.text) if not ch.isspace() and not covered[i]]
    assert not missing, f"characters not in any chunk at {missing[:10]}"


def test_sentence_spans_cover_text_contiguously():
    text = 'One. "Two!" Three?\n\nFour (five.) six'
    spans = sentence_spans(text)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in pairwise(spans))
    # Unicode's sentence rules (ICU) do not end a sentence before a lowercase word: "(five.) six" is one
    assert [text[s:e].strip() for s, e in spans] == ["One.", '"Two!"', "Three?", "Four (five.) six"]


def test_a_line_break_alone_does_not_end_a_sentence():
    text = "This line is hard\nwrapped in the middle. Next\nsentence here."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "This line is hard\nwrapped in the middle. ",
        "Next\nsentence here.",
    ]


@pytest.mark.parametrize(
    "text, sentences",
    [
        (
            "यह पहला वाक्य है। यह दूसरा वाक्य है। क्या यह तीसरा है?",  # Hindi: danda
            ["यह पहला वाक्य है। ", "यह दूसरा वाक्य है। ", "क्या यह तीसरा है?"],
        ),
        (
            "هذه الجملة الأولى. هل هذه الثانية؟ نعم، هذه الثالثة!",  # Arabic question mark
            ["هذه الجملة الأولى. ", "هل هذه الثانية؟ ", "نعم، هذه الثالثة!"],
        ),
        ("补贴按季度发放！是否需要发票？需要。", ["补贴按季度发放！", "是否需要发票？", "需要。"]),
        (
            "これは最初の文です。二番目の文ですか？はい！",
            ["これは最初の文です。", "二番目の文ですか？", "はい！"],
        ),
        ("A 😀 b. C 😀 d。E 😀 f! G", ["A 😀 b. ", "C 😀 d。", "E 😀 f! ", "G"]),  # offsets past U+FFFF
    ],
)
def test_sentences_end_at_the_terminators_of_each_script(text, sentences):
    assert [text[s:e] for s, e in sentence_spans(text)] == sentences


def test_chinese_chunks_end_at_full_stops_and_overlap_like_english():
    """Issue 13: Chinese text was cut every 1200 characters (1200/1200/390 here), no overlap, mid-amount."""
    text = "".join(
        f"第{i}条：员工每月可以申请{200 + 41 * i}元的远程办公补贴，须在当月最后一个工作日前向人事部提交申请。"
        for i in range(60)
    )
    assert len(text) == 2790 and text.count("。") == 60
    document = doc(text)
    chunks = list(chunk_document(document, size=1200, overlap=200))
    check_invariants(document, chunks, 1200)
    assert [(c.start, len(c.text)) for c in chunks] == [(0, 1192), (1004, 1175), (1991, 799)]
    assert all(c.text.endswith("。") and c.text.startswith("第") for c in chunks)
    for first, second in pairwise(chunks):
        shared = document.text[second.start : first.start + len(first.text)]
        assert 0 < len(shared) <= 200 and shared.endswith("。")


def test_chunks_are_bounded_and_cover_document():
    document = doc(sentences(40))
    chunks = list(chunk_document(document, size=200, overlap=50))
    assert len(chunks) > 5
    check_invariants(document, chunks, 200)


def test_chunks_keep_whole_sentences_when_they_fit():
    document = doc(sentences(20))
    for chunk in chunk_document(document, size=200, overlap=0):
        assert chunk.text.startswith("Sentence ")
        assert chunk.text.endswith(".")


def test_overlap_repeats_text_between_neighbours():
    document = doc(sentences(30))  # 40-char sentences + one space
    chunks = list(chunk_document(document, size=200, overlap=90))
    for first, second in pairwise(chunks):
        first_end = first.start + len(first.text)
        assert second.start < first_end, "next chunk starts inside the previous one"
        shared = document.text[second.start : first_end]
        assert shared and shared in first.text and second.text.startswith(shared)
        assert first_end - second.start <= 90


def test_no_overlap_means_no_repeated_text():
    document = doc(sentences(30))
    chunks = list(chunk_document(document, size=200, overlap=0))
    for first, second in pairwise(chunks):
        assert second.start >= first.start + len(first.text)
    assert sum(len(c.text) for c in chunks) <= len(document.text)


def test_overlap_makes_more_chunks_than_none():
    document = doc(sentences(30))
    assert len(list(chunk_document(document, 200, 90))) > len(list(chunk_document(document, 200, 0)))


@pytest.mark.parametrize(
    "text, size, overlap",
    [
        ("A" * 98 + ". " + "B" * 47 + ". " + "C" * 249 + ".", 200, 60),
        ("\n\nwordwordword. word", 16, 14),
    ],
)
def test_every_chunk_adds_text_beyond_the_previous_one(text, size, overlap):
    chunks = list(chunk_document(doc(text), size=size, overlap=overlap))
    for first, second in pairwise(chunks):
        assert second.start + len(second.text) > first.start + len(first.text), (first, second)


def test_long_sentence_is_split():
    text = "Short intro. " + "y" * 950 + " end."
    document = doc(text)
    chunks = list(chunk_document(document, size=300, overlap=50))
    assert all(len(c.text) <= 300 for c in chunks)
    assert sum("y" in c.text for c in chunks) >= 4
    check_invariants(document, chunks, 300)


def test_text_without_any_boundary_is_split():
    document = doc("z" * 1000)
    chunks = list(chunk_document(document, size=256, overlap=32))
    assert [len(c.text) for c in chunks] == [256, 256, 256, 232]
    check_invariants(document, chunks, 256)


def test_small_document_is_one_chunk_with_leading_whitespace_trimmed():
    document = doc("\n\n   A short document.  \n")
    (chunk,) = chunk_document(document, size=1200, overlap=200)
    assert chunk.text == "A short document."
    assert chunk.start == 5
    assert chunk.chunk_id == "doc#c0"


def test_whitespace_only_document_has_no_chunks():
    assert list(chunk_document(doc("   \n\n\t "), size=200, overlap=0)) == []


def test_ids_are_stable_and_derived_from_doc_and_position():
    document = doc(sentences(40), doc_id="folder/report")
    first = list(chunk_document(document, 200, 50))
    second = list(chunk_document(document, 200, 50))
    assert first == second
    assert [c.chunk_id for c in first] == [f"folder/report#c{i}" for i in range(len(first))]
    assert len({c.chunk_id for c in first}) == len(first)


def test_ids_depend_on_document_id():
    text = sentences(10)
    a = [c.chunk_id for c in chunk_document(doc(text, "a"), 200, 0)]
    b = [c.chunk_id for c in chunk_document(doc(text, "b"), 200, 0)]
    assert set(a).isdisjoint(b)


@pytest.mark.parametrize("size, overlap", [(0, 0), (-5, 0), (100, 100), (100, 150), (100, -1)])
def test_invalid_size_or_overlap(size, overlap):
    with pytest.raises(ValueError):
        list(chunk_document(doc("text."), size=size, overlap=overlap))


# -- properties ---------------------------------------------------------------------------------

_pieces = st.sampled_from(
    [
        "word",
        "Alpha",
        "x",
        "éé",
        "1.5",
        ". ",
        "! ",
        "? ",
        '." ',
        " ",
        "  ",
        "\n",
        "\n\n",
        "\n \n",
        "\t",
        "(note.) ",
        "longwordwithoutspaces" * 3,
    ]
)
texts = st.lists(_pieces, min_size=0, max_size=80).map("".join)


@st.composite
def size_and_overlap(draw):
    size = draw(st.integers(min_value=5, max_value=120))
    overlap = draw(st.integers(min_value=0, max_value=size - 1))
    return size, overlap


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, params=size_and_overlap())
def test_property_chunks_cover_document_and_are_verbatim(text, params):
    size, overlap = params
    document = doc(text)
    chunks = list(chunk_document(document, size, overlap))
    check_invariants(document, chunks, size)
    if text.strip():
        assert chunks
    starts = [c.start for c in chunks]
    assert starts == sorted(starts), "chunks are in document order"


@settings(max_examples=75, deadline=None)
@given(text=texts, params=size_and_overlap(), doc_id=st.text(min_size=1, max_size=12))
def test_property_ids_stable_and_unique(text, params, doc_id):
    size, overlap = params
    document = Document(doc_id=doc_id, title="", text=text)
    first = list(chunk_document(document, size, overlap))
    again = list(chunk_document(Document(doc_id=doc_id, title="", text=text), size, overlap))
    assert [(c.chunk_id, c.start, c.text) for c in first] == [(c.chunk_id, c.start, c.text) for c in again]
    assert [c.chunk_id for c in first] == [f"{doc_id}#c{i}" for i in range(len(first))]


def test_a_sentence_longer_than_a_chunk_is_cut_between_words_in_any_script():
    thai = "ฉันชอบกินข้าวมาก วันนี้อากาศดีมาก เราไปเที่ยวทะเลกัน " * 8  # Thai marks no sentence ends
    chunks = list(chunk_document(doc(thai), size=100, overlap=20))
    check_invariants(doc(thai), chunks, 100)
    assert [(c.start, len(c.text)) for c in chunks] == [(0, 98), (98, 98), (196, 99), (295, 99), (394, 29)]
    assert chunks[0].text.endswith("เที่ยว") and chunks[1].text.startswith("ทะเล")  # "trip" | "sea"
    chinese = "员工每月可以申请2820元的远程办公补贴" * 40  # no full stop at all
    for chunk in chunk_document(doc(chinese), size=100, overlap=0):
        end = chunk.start + len(chunk.text)
        assert not (chinese[end - 1 : end + 1].isdigit() and end < len(chinese)), "an amount was cut in two"
    english = " ".join(f"word{i}" for i in range(300))
    assert all(c.text.split()[-1] in english.split() for c in chunk_document(doc(english), 200, 0))


def test_a_heading_opens_the_chunk_after_it_never_ends_one():
    """A chunk that would end with the next section's heading leaves it to the chunk it opens (a Japanese
    manual's first chunk ended "…外れることがあります。\n\n## 仕様")."""
    from personaqa.programs.core.records import Document
    from personaqa.programs.corpus.chunking import chunk_document

    first = "The filter sits in the back panel. Replace it every six months."
    text = f"# Manual\n\n{first}\n\n## Specifications\n\nThe unit weighs 4 kg. It draws 40 W at full speed."
    chunks = list(chunk_document(Document(doc_id="m", text=text), size=len(first) + 40, overlap=0))
    assert len(chunks) >= 2
    assert all(not chunk.text.rstrip().splitlines()[-1].startswith("#") for chunk in chunks)
    assert any(chunk.text.startswith("## Specifications") for chunk in chunks)
