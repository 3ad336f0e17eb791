"""Language detection (py3langid) and the check that a question is in the language of its chunk."""

from __future__ import annotations

from pathlib import Path

import pytest
from personaqa.programs.corpus.language import detect_language, language_name, language_problem

SAMPLE = Path(__file__).resolve().parents[1] / "programs" / "sample" / "multilingual" / "docs"


@pytest.mark.parametrize(
    "name, code",
    [
        ("mietvertrag-auszug.md", "de"),
        ("qingfeng-jinghuaqi-shuomingshu.md", "zh"),
    ],
)
def test_sample_documents_are_detected(name: str, code: str) -> None:
    assert detect_language((SAMPLE / name).read_text(encoding="utf-8")) == code


@pytest.mark.parametrize(
    "text, code",
    [
        ("Wie hoch ist die Kaution für die Wohnung?", "de"),
        ("员工每月可以申请多少元的远程办公补贴？", "zh"),
        ("従業員は毎月いくらの在宅勤務手当を申請できますか？", "ja"),
        ("ما هي مدة الإجازة السنوية للموظفين؟", "ar"),
        ("How large is the break fee owed to Vessel Systems?", "en"),
    ],
)
def test_questions_are_detected(text: str, code: str) -> None:
    assert detect_language(text) == code


@pytest.mark.parametrize("text", ["Was ist BM25?", "OK", "Wann?", "400-820-6688", ""])
def test_short_texts_are_not_guessed(text: str) -> None:
    assert detect_language(text) is None


def test_language_names() -> None:
    assert [language_name(code) for code in ("de", "zh", "ja", "en", "el", "yue")] == [
        "German",
        "Chinese",
        "Japanese",
        "English",
        "Modern Greek",
        "Yue Chinese",
    ]
    assert language_name("xx") == "xx"


def test_a_question_in_another_language_than_its_chunk_is_named() -> None:
    chunk = (SAMPLE / "mietvertrag-auszug.md").read_text(encoding="utf-8")
    assert language_problem("How high is the deposit for the flat in Leipzig?", chunk) == (
        "question is in English (en), its chunk in German (de)"
    )
    assert language_problem("Wie hoch ist die Kaution für die Wohnung in Leipzig?", chunk) is None
    assert language_problem("Kaution?", chunk) is None  # too short to tell: never rejected on a guess
