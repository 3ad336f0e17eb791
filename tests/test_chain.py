"""The chain as data: a step added to the one list runs in all three walks (one chunk, batched judges, a
chunk group), and every chunk is segmented and language-detected once per unit."""

from __future__ import annotations

from collections import Counter

from fake_endpoint import FakeEndpoint
from fakes import BagOfWordsEmbedder, ScriptedEngine, build_program, lm_context, make_lm
from personaqa.programs.config import LMConfig
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.lm.build import build_lm
from personaqa.programs.recipe.chain import CHAIN, LM_STAGES, STAGES, VERDICTS, Step

CHUNK = Chunk(
    chunk_id="merger#c0",
    doc_id="merger",
    title="Harbor merger",
    text="The break fee is 40 million euros. The review deadline is 30 June 2026. Together the two ports "
    "hold a market share of 41%; their weather policy is unchanged.",
    start=0,
)
OTHER = Chunk(
    chunk_id="objection#c0",
    doc_id="objection",
    title="Harbor objection",
    text="Port operators object to the Harbor takeover. The authority must decide by 30 June 2026.",
    start=0,
)
LAWYER = Persona(name="lawyer", description="A competition lawyer who writes formal questions.")


def engine() -> ScriptedEngine:
    return ScriptedEngine({"interests": ["break fee", "review deadline"]})


def with_toy(seen: Counter) -> tuple[Step, ...]:
    """The chain with a deterministic step before `style` that drops the first question of each chunk."""

    def toy(program, unit, candidate):
        seen[unit.chunk.chunk_id] += 1
        if seen[unit.chunk.chunk_id] == 1:
            return unit.reject(candidate, "toy", "the first question of its chunk")
        return None

    at = next(i for i, step in enumerate(CHAIN) if step.name == "style")
    return (*CHAIN[:at], Step("toy", check=toy), *CHAIN[at:])


def test_the_stage_lists_derive_from_the_chain():
    assert STAGES[:3] == ("interests", "question_types", "generation")
    assert STAGES[-2:] == ("dedup", "lm_error")
    assert STAGES.index("relevance") < STAGES.index("evidence") < STAGES.index("generality")
    assert LM_STAGES == (
        "interests",
        "question_types",
        "generation",
        "context",
        "style",
        "relevance",
        "generality",
    )
    assert VERDICTS == ("relevance", "generality")


def test_a_toy_step_runs_on_one_chunk():
    seen: Counter = Counter()
    program = build_program(BagOfWordsEmbedder())
    program.chain = with_toy(seen)
    with lm_context(make_lm(engine())):
        out = program(chunk=CHUNK, persona=LAWYER)
    assert seen["merger#c0"] == 2
    assert [(r.interest, r.stage) for r in out.rejections] == [("break fee", "toy")]
    assert [r.interest for r in out.records] == ["review deadline"]
    assert "toy" not in out.usage.stages  # a deterministic step calls no LM


def test_a_toy_step_runs_with_batched_judges():
    seen: Counter = Counter()
    program = build_program(BagOfWordsEmbedder(), batched_filters=True)
    program.chain = with_toy(seen)
    with FakeEndpoint() as endpoint:
        lm = build_lm(LMConfig(model="openai/fake", api_base=endpoint.base_url)).copy(cache=False)
        with lm_context(lm):
            out = program(chunk=CHUNK, persona=LAWYER)
    toy = [r for r in out.rejections if r.stage == "toy"]
    assert seen["merger#c0"] >= 2 and len(toy) == 1
    assert out.records and toy[0].question_id not in {r.question_id for r in out.records}
    assert out.usage.stages["relevance"].calls == 1  # the judges still ran batched after the toy step


def test_a_toy_step_runs_on_a_chunk_group():
    seen: Counter = Counter()
    program = build_program(BagOfWordsEmbedder())
    program.chain = with_toy(seen)
    with lm_context(make_lm(engine())):
        out = program.group([CHUNK, OTHER], LAWYER, ["comparison", "temporal"])
    assert seen["merger#c0"] == 2  # a group's questions are filed under its first chunk
    assert [r.stage for r in out.rejections] == ["toy"]
    assert [r.question_type for r in out.records] == ["temporal"]
    assert out.records[0].chunk_ids == ["merger#c0", "objection#c0"]


def test_each_chunk_is_segmented_and_language_detected_once_per_unit(monkeypatch):
    import icu4py.breakers
    from personaqa.programs.corpus import language

    text = "The ferry fine is 51 million euros. It was imposed on 3 May 2026. The appeal is due in June."
    chunk = Chunk(chunk_id="ferry#c0", doc_id="ferry", title="Ferry fine", text=text, start=0)
    segmented: Counter = Counter()
    detected: Counter = Counter()
    breaker = icu4py.breakers.SentenceBreaker

    def counting_breaker(flat, locale):
        segmented[flat] += 1
        return breaker(flat, locale)

    classify = language._identifier().classify

    class Counting:
        def classify(self, sample):
            detected[sample] += 1
            return classify(sample)

    monkeypatch.setattr(icu4py.breakers, "SentenceBreaker", counting_breaker)
    monkeypatch.setattr(language, "_identifier", lambda: Counting())
    program = build_program(BagOfWordsEmbedder())
    with lm_context(make_lm(ScriptedEngine({"interests": ["ferry fine", "appeal"]}))):
        out = program(chunk=chunk, persona=LAWYER)
    assert out.records  # the unit went through every step
    assert segmented[text] == 1
    assert detected[text] == 1
