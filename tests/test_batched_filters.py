"""Batched filters: one judge/rewrite call per unit instead of one per question, same decisions."""

from __future__ import annotations

import dspy
from fake_endpoint import FakeEndpoint
from fakes import BagOfWordsEmbedder
from personaqa.programs.config import LMConfig
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.lm.build import build_lm
from personaqa.programs.lm.structured_output import BoundedJSONAdapter
from personaqa.programs.recipe.pipeline import ProgramSettings, SyntheticEvalProgram

CHUNK = Chunk(
    chunk_id="harbor#c0",
    doc_id="harbor",
    title="Harbor merger",
    start=0,
    text="The Competition Authority reviews the Harbor Analytics merger. The break fee is 40 million euros.",
)
ANALYST = Persona(name="analyst", description="A data journalist who asks for numbers.")


def run(endpoint: FakeEndpoint, batched: bool, program: SyntheticEvalProgram | None = None, **kwargs):
    lm = build_lm(LMConfig(model="openai/fake", api_base=endpoint.base_url)).copy(cache=False)
    program = program or SyntheticEvalProgram(
        BagOfWordsEmbedder(), settings=ProgramSettings(batched_filters=batched)
    )
    with dspy.context(lm=lm, adapter=BoundedJSONAdapter()):
        return program(chunk=CHUNK, persona=ANALYST, **kwargs)


def test_batched_filters_make_one_call_per_stage_and_keep_the_same_questions():
    with FakeEndpoint() as endpoint:
        single = run(endpoint, batched=False)
        batched = run(endpoint, batched=True)
    kept = sorted(r.question_id for r in single.records)
    assert kept and sorted(r.question_id for r in batched.records) == kept
    for stage in ("relevance", "generality"):
        assert single.usage.stages[stage].calls == len(kept)
        assert batched.usage.stages[stage].calls == 1
    assert all(r.relevance and r.relevance.label == "fully" for r in batched.records)


def test_a_question_the_batched_judge_skips_is_rejected_as_lm_error(monkeypatch):
    program = SyntheticEvalProgram(BagOfWordsEmbedder(), settings=ProgramSettings(batched_filters=True))
    original = program.batched.judge_relevance

    def skip_first(chunk, questions):
        verdicts = original(chunk, questions)
        verdicts.pop(0, None)
        return verdicts

    monkeypatch.setattr(program.batched, "judge_relevance", skip_first)
    with FakeEndpoint() as endpoint:
        out = run(endpoint, batched=True, program=program, interests=["break fee", "review deadline"])
    skipped = [r for r in out.rejections if r.stage == "lm_error"]
    assert len(skipped) == 1 and "no verdict" in skipped[0].reason
    assert len(out.records) >= 1
