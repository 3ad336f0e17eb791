"""Build dspy.LM objects from LMConfig: the embedded model, a local GGUF, or any LiteLLM endpoint."""

from __future__ import annotations

import os

import dspy

from personaqa.programs.config import EMBEDDED_LM, LMConfig
from personaqa.programs.errors import InputError
from personaqa.programs.llama_engine import LlamaCppEngine, embedded_gguf_path


def describe_lm(config: LMConfig) -> str:
    """A loggable name for the LM (no key, no secrets)."""
    return config.model if not config.api_base else f"{config.model} @ {config.api_base}"


def build_lm(config: LMConfig) -> dspy.LM:
    if config.model == EMBEDDED_LM or config.model.startswith("gguf:"):
        path = embedded_gguf_path() if config.model == EMBEDDED_LM else config.model.removeprefix("gguf:")
        if not os.path.isfile(path):
            raise InputError(f"--lm {config.model}: GGUF file not found")
        engine = LlamaCppEngine(path, n_ctx=config.n_ctx, seed=config.seed)
        name = "smollm2-135m-instruct" if config.model == EMBEDDED_LM else os.path.basename(path)
        return dspy.LM(name, engine=engine, temperature=config.temperature, max_tokens=config.max_tokens,
                       num_retries=config.num_retries)
    kwargs: dict = {}
    if config.api_key_env:
        key = os.environ.get(config.api_key_env)
        if not key:
            raise InputError(f"api_key_env: environment variable {config.api_key_env} is not set")
        kwargs["api_key"] = key
    if config.api_base:
        kwargs["api_base"] = config.api_base
    return dspy.LM(config.model, temperature=config.temperature, max_tokens=config.max_tokens,
                   num_retries=config.num_retries, timeout=config.timeout, **kwargs)
