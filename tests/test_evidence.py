"""Evidence spans: quoted sentences are found in the chunk with their offsets, invented ones are not."""

from __future__ import annotations

from personaqa.programs.recipe.checks.evidence import locate

CHUNK = ("The AeroFlow 300 has three fan speeds.  A rattling noise\nmeans the filter is blocked: "
         "replace it.\nThe warranty lasts 24 months from purchase.")


def test_a_verbatim_quote_is_found_with_its_offsets():
    (span,) = locate("The warranty lasts 24 months from purchase.", "c", CHUNK)
    assert CHUNK[span.start:span.end] == span.text == "The warranty lasts 24 months from purchase."


def test_case_and_whitespace_do_not_matter():
    (span,) = locate("a rattling noise means the filter is blocked", "c", CHUNK)
    assert span.text == "A rattling noise\nmeans the filter is blocked"


def test_a_small_slip_is_within_tolerance():
    (span,) = locate("A rattling noise means that the filter is blocked, replace it", "c", CHUNK)
    assert span.text == "A rattling noise\nmeans the filter is blocked: replace it"
    assert locate("The AeroFlow 300 has five fan speed settings.", "c", CHUNK) is None  # not a slip


def test_ellipsis_joins_parts_that_are_each_found():
    spans = locate("The AeroFlow 300 has three fan speeds. ... The warranty lasts 24 months", "c", CHUNK)
    assert [s.text for s in spans] == ["The AeroFlow 300 has three fan speeds.", "The warranty lasts 24 months"]


def test_an_invented_quote_is_not_found():
    assert locate("Port operators must clean 200 square meters a day.", "c", CHUNK) is None
    assert locate("The AeroFlow 300 has three fan speeds. ... Refunds take 90 days.", "c", CHUNK) is None


def test_chinese_text_is_matched_too():
    chunk = "清风净化器有三个档位。滤网每六个月更换一次。"
    (span,) = locate("滤网每六个月更换一次", "c", chunk)
    assert span.text == "滤网每六个月更换一次"
