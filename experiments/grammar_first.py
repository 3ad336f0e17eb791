"""Decoding speed under a JSON-schema grammar: llama-cpp-python's sampler chain (grammar over the whole
vocabulary, then greedy) against `GrammarFirstGreedy` (grammar checked on the greedy token first). Prints
output tokens/s of each, their ratio, the share of tokens that needed the whole-vocabulary pass, and whether
the two wrote the same text. Nothing here is a test.

Each prompt (a sample document's start and a persona's request for topics and one question) is evaluated once
before it is timed, so the timed call decodes only (its prompt is a cached prefix).

Usage: python experiments/grammar_first.py [--model qwen2.5-coder-1.5b] [--max-tokens 160]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from _sections import add_write_argument, writes_section

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from llama_cpp import Llama
from personaqa.programs.lm.embedded_models import EMBEDDED_MODELS, model_path
from personaqa.programs.lm.grammar_first import GrammarFirstLlama

SAMPLE_DOCS = Path(__file__).resolve().parents[1] / "programs" / "sample" / "docs"
PERSONAS = ("a competition lawyer", "a busy parent", "a data journalist")
SCHEMA = {
    "type": "object",
    "required": ["topics", "question"],
    "properties": {
        "topics": {"type": "array", "maxItems": 4, "items": {"type": "string", "maxLength": 60}},
        "question": {"type": "string", "maxLength": 300},
    },
}


def prompts() -> list[list[dict[str, str]]]:
    out = []
    for doc in sorted(SAMPLE_DOCS.glob("*.md")):
        for persona in PERSONAS:
            ask = (
                f"List up to four topics of the passage {persona} would ask about, then write one "
                f"question {persona} would ask."
            )
            out.append(
                [
                    {"role": "system", "content": "Passage:\n" + doc.read_text()[:1200]},
                    {"role": "user", "content": ask},
                ]
            )
    return out


def decode(llama_class: type, path: str, max_tokens: int) -> tuple[list[str], int, float, int, int]:
    """Texts, output tokens, decoding seconds, tokens sampled and whole-vocabulary passes (grammar-first)."""
    llama = llama_class(
        model_path=path,
        n_ctx=4096,
        seed=0,
        n_threads=os.cpu_count() or 1,
        n_threads_batch=os.cpu_count() or 1,
        flash_attn=True,
        verbose=False,
    )
    texts, tokens, seconds, checks, passes = [], 0, 0.0, 0, 0
    for messages in prompts():
        args = {
            "messages": messages,
            "temperature": 0.0,
            "seed": 0,
            "response_format": {"type": "json_object", "schema": SCHEMA},
        }
        llama.create_chat_completion(max_tokens=1, **args)  # evaluates the prompt: the timed call reuses it
        start = time.perf_counter()
        reply = llama.create_chat_completion(max_tokens=max_tokens, **args)
        seconds += time.perf_counter() - start
        texts.append(reply["choices"][0]["message"]["content"])
        tokens += reply["usage"]["completion_tokens"]
        checks += getattr(llama._sampler, "checks", 0)
        passes += getattr(llama._sampler, "full_passes", 0)
    return texts, tokens, seconds, checks, passes


@writes_section("grammar_first")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", choices=sorted(EMBEDDED_MODELS))
    parser.add_argument("--max-tokens", type=int, default=160)
    add_write_argument(parser, "grammar_first")
    args = parser.parse_args()
    path = str(model_path(EMBEDDED_MODELS[args.model]))
    chain_texts, chain_tokens, chain_s, _, _ = decode(Llama, path, args.max_tokens)
    first_texts, first_tokens, first_s, checks, passes = decode(GrammarFirstLlama, path, args.max_tokens)
    print(f"model {args.model}, {len(chain_texts)} prompts, {os.cpu_count()} threads")
    for name, tokens, seconds in (
        ("sampler chain", chain_tokens, chain_s),
        ("grammar first", first_tokens, first_s),
    ):
        print(f"{name:16s}  {tokens:5d} tokens  {seconds:6.1f} s  {tokens / seconds:5.1f} tokens/s")
    print(
        f"speed-up {chain_s / first_s * first_tokens / chain_tokens:.2f}x; whole-vocabulary passes "
        f"{passes}/{checks} tokens ({passes / max(checks, 1):.0%}); "
        f"same texts: {chain_texts == first_texts}"
    )
    print("first reply:", first_texts[0])


if __name__ == "__main__":
    main()
