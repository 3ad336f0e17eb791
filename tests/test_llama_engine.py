"""The in-process llama.cpp engine: each prompt family (its system message's start) keeps its own context,
so a stage's calls reuse the prefix they share even when other stages' calls come in between."""

from __future__ import annotations

from types import SimpleNamespace
from typing import ClassVar

import pytest
from personaqa.programs.lm import grammar_first
from personaqa.programs.lm.llama_engine import LlamaCppEngine


class FakeLlama:
    """Records the prompts each context saw; answers with a fixed JSON reply."""

    made: ClassVar[list[FakeLlama]] = []  # every instance, shared by the class

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.systems: list[str] = []
        FakeLlama.made.append(self)

    def create_chat_completion(self, messages, **kwargs):
        self.systems.append(messages[0]["content"])
        return {
            "choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1},
        }


@pytest.fixture
def engine(tmp_path, monkeypatch):
    monkeypatch.setattr(grammar_first, "GrammarFirstLlama", FakeLlama)
    FakeLlama.made = []
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    return LlamaCppEngine(model, contexts=2)


def request(system: str) -> SimpleNamespace:
    config = SimpleNamespace(
        max_tokens=16, temperature=None, seed=None, top_p=None, stop=None, response_format=None
    )
    message = SimpleNamespace(role="user", parts=[SimpleNamespace(text="the question")])
    return SimpleNamespace(system=system, messages=[message], config=config)


def test_each_prompt_family_keeps_its_context_least_recently_used_replaced(engine):
    passage, judge, style = (
        "[[ ## passage ## ]]\nThe break fee is 40 million euros.",
        "Judge generality.",
        "Style.",
    )
    for system in (passage, judge, passage, judge):  # a unit's stages, one after the other
        engine.complete(request(system))
    first, second = FakeLlama.made
    assert first.systems == [passage, passage] and second.systems == [judge, judge]
    engine.complete(request(style))  # a third family takes the least recently used context (the passage's)
    assert len(FakeLlama.made) == 2 and first.systems[-1] == style
    assert first.kwargs["flash_attn"] is True and first.kwargs["n_ctx"] == 4096


def test_contexts_must_be_positive(tmp_path):
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    with pytest.raises(ValueError, match="contexts"):
        LlamaCppEngine(model, contexts=0)
