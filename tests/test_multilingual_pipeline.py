"""Issue 13: a run whose LM writes Chinese questions kept none of them (the form check wanted an ASCII
"?" and four space-separated words)."""

from __future__ import annotations

from fakes import BagOfWordsEmbedder, ScriptedEngine, build_program, run_program
from personaqa.programs.core.records import Chunk, Persona

CHUNK = Chunk(
    chunk_id="manual#c0",
    doc_id="manual",
    title="清风 X5 空气净化器使用说明书",
    text="复合滤网的建议使用寿命为 2,000 小时。滤网指示灯亮起时请及时更换滤网。",
    start=0,
)
BUYER = Persona(name="shanghai_buyer", description="一位刚买了空气净化器的年轻父亲，用简体中文提问。")


def test_chinese_questions_pass_every_stage_and_are_kept():
    engine = ScriptedEngine(
        {
            "interests": ["滤网寿命"],
            "question": "复合滤网的建议使用寿命是多少小时？",
            "styled_question": lambda text: "请问这个滤网一般能用多少小时？",
        }
    )
    out = run_program(build_program(BagOfWordsEmbedder()), engine, CHUNK, BUYER)
    assert [(r.original_question, r.question) for r in out.records] == [
        ("复合滤网的建议使用寿命是多少小时？", "请问这个滤网一般能用多少小时？")
    ]
    assert out.rejections == []
