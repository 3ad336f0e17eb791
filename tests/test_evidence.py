"""Evidence: the judge cites numbered sentences, which are cut from the chunk with their offsets; its
answer must be held by them (numbers exactly, most content words)."""

from __future__ import annotations

import pytest
from personaqa.programs.recipe.checks.evidence import cited, numbered, sentence_spans, unsupported

CHUNK = (
    "The AeroFlow 300 has three fan speeds.  A rattling noise\nmeans the filter is blocked: "
    "replace it.\nThe warranty lasts 24 months from purchase."
)


def test_sentences_cover_the_chunk_in_order_without_their_spaces():
    texts = [CHUNK[a:b] for a, b in sentence_spans(CHUNK)]
    assert texts == [
        "The AeroFlow 300 has three fan speeds.",
        "A rattling noise\nmeans the filter is blocked: replace it.",
        "The warranty lasts 24 months from purchase.",
    ]


def test_the_numbered_view_is_one_sentence_a_line():
    assert numbered(CHUNK).splitlines() == [
        "[1] The AeroFlow 300 has three fan speeds.",
        "[2] A rattling noise means the filter is blocked: replace it.",
        "[3] The warranty lasts 24 months from purchase.",
    ]


def test_cited_numbers_give_the_chunks_own_text_with_offsets():
    spans = cited([3, 1, 3, 9, 0], "c", CHUNK)  # repeats and numbers out of range dropped, in order
    assert [(s.chunk_id, CHUNK[s.start : s.end]) for s in spans] == [
        ("c", "The AeroFlow 300 has three fan speeds."),
        ("c", "The warranty lasts 24 months from purchase."),
    ]
    assert all(s.text == CHUNK[s.start : s.end] for s in spans)


def test_an_answer_the_cited_sentences_hold_is_supported():
    assert unsupported("24 months", cited([3], "c", CHUNK)) is None
    assert unsupported("the filter is blocked", cited([2], "c", CHUNK)) is None


def test_a_number_not_in_the_cited_sentences_is_caught():
    assert "120" in unsupported("€120", cited([1], "c", CHUNK))
    assert "24" in unsupported("24 months", cited([1], "c", CHUNK))  # right answer, wrong sentence


def test_an_answer_of_other_words_or_without_citation_is_caught():
    assert "content words" in unsupported("flexibility and convenience for employees", cited([1], "c", CHUNK))
    assert unsupported("24 months", []) == "cites no sentence of the chunk"
    assert unsupported("", cited([1], "c", CHUNK)) == "gives no answer"
    assert unsupported(",", cited([1], "c", CHUNK)) == "gives no answer"
    assert unsupported("Yes", cited([1], "c", CHUNK)) is None  # no content word, but an answer


def test_chinese_sentences_and_words_are_found_too():
    chunk = "清风净化器有三个档位。滤网每六个月更换一次。"
    assert numbered(chunk).splitlines() == ["[1] 清风净化器有三个档位。", "[2] 滤网每六个月更换一次。"]
    assert unsupported("每六个月更换", cited([2], "c", chunk)) is None
    assert unsupported("每六个月更换", cited([1], "c", chunk)) is not None


def test_a_right_answer_citing_the_wrong_sentence_gets_the_sentence_that_holds_it():
    from personaqa.programs.recipe.checks.evidence import supporting

    spans, problem = supporting("24 months", [1], "c", CHUNK)
    assert problem is None and [s.text for s in spans] == ["The warranty lasts 24 months from purchase."]
    spans, problem = supporting("the filter is blocked", [2], "c", CHUNK)  # cited right: kept as cited
    assert problem is None and [s.text for s in spans] == [
        CHUNK[sentence_spans(CHUNK)[1][0] : sentence_spans(CHUNK)[1][1]]
    ]
    spans, problem = supporting(
        "€120", [1], "c", CHUNK
    )  # no sentence holds it: the cited one's fault is reported
    assert spans == [] and "120" in problem


@pytest.mark.parametrize(
    "answer, question, repeats",
    [
        ("five container ports", "Regarding container ports, what are the five container ports?", True),
        (
            "Nyquist and Hartley",
            "Regarding Nyquist and Hartley, who wrote the papers on communication theory?",
            True,
        ),
        (
            "14 of 19 ports",
            "At how many of the 19 ports would the company run the software?",
            False,
        ),  # 14 is new
        (
            "HarborOne",
            "What product will Harbor Analytics run?",
            False,
        ),  # whole words, not their first letters
        ("yes, for the motor", "Does the warranty cover the motor?", False),  # a yes/no answer
        ("the motor for five years", "How long is the motor covered?", False),
        ("", "What is the break fee?", False),
    ],
)
def test_an_answer_that_only_repeats_the_question_is_no_answer(answer, question, repeats):
    from personaqa.programs.recipe.checks.evidence import restates, supporting

    assert restates(answer, question) is repeats
    chunk = "The motor is covered for five years. Its members run five container ports."
    problem = supporting(answer, [1], "c", chunk, question)[1]
    assert (problem == "the answer only repeats the question") is repeats
