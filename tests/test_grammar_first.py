"""Grammar-first greedy decoding on the real embedded SmolLM2 model: the same tokens as llama-cpp-python's
sampler chain (grammar over the whole vocabulary, then greedy).

Only what holds for any greedy text is asserted: a CPU's floating-point paths change which text a greedy
model writes (on one 2-core machine SmolLM2 ran this prompt to the token cap, on another it closed its JSON),
so no test here depends on the words written or on the model stopping within its budget."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

SCHEMA = {
    "type": "object",
    "required": ["topics", "question"],
    "properties": {
        "topics": {"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 40}},
        "question": {"type": "string"},
    },
}
PASSAGE = (
    "The Kestrel K2 kettle boils 1.5 litres of water in about four minutes. Descale it every two "
    "months with white vinegar. If the red light blinks, the kettle is empty and the heater has "
    "switched off."
)


@pytest.fixture(scope="module")
def model_file():
    from personaqa.programs.lm.embedded_models import EMBEDDED_MODELS, model_path

    return str(model_path(EMBEDDED_MODELS["smollm2-135m"]))


def replies(llama_class, model_file: str, temperature: float = 0.0) -> tuple[list[str], object]:
    llama = llama_class(model_path=model_file, n_ctx=1024, seed=0, n_threads=2, verbose=False)
    out = []
    for asker in ("a home cook", "a safety inspector"):
        ask = f"List what {asker} wants to know, then one question {asker} asks."
        messages = [{"role": "system", "content": PASSAGE}, {"role": "user", "content": ask}]
        reply = llama.create_chat_completion(
            messages=messages,
            temperature=temperature,
            max_tokens=200,
            seed=0,
            response_format={"type": "json_object", "schema": SCHEMA},
        )
        out.append(reply["choices"][0]["message"]["content"])
    return out, llama._sampler


def test_grammar_first_greedy_gives_the_chains_tokens(model_file):
    from llama_cpp import Llama
    from personaqa.programs.lm.grammar_first import GrammarFirstGreedy, GrammarFirstLlama

    chain, _ = replies(Llama, model_file)
    first, sampler = replies(GrammarFirstLlama, model_file)
    assert first == chain  # whatever the text, finished or cut at the cap: the same tokens
    assert isinstance(sampler, GrammarFirstGreedy)
    # every picked token was checked once; the whole-vocabulary pass ran only for rejected ones
    assert sampler.checks > 0 and 0 <= sampler.full_passes <= sampler.checks


def test_sampled_calls_keep_llama_cpp_pythons_chain(model_file):
    from llama_cpp._internals import LlamaSampler
    from personaqa.programs.lm.grammar_first import GrammarFirstLlama

    _, sampler = replies(GrammarFirstLlama, model_file, temperature=0.7)
    assert isinstance(sampler, LlamaSampler)
