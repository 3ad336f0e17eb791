"""Command-line options shared by sub-commands: which LMs to use and how to reach them."""

from __future__ import annotations

import argparse
from typing import Any


def add_lm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="run.yaml with settings; flags override it")
    parser.add_argument("--lm", help="embedded (the default embedded model) | embedded:NAME (smollm2-135m, qwen2.5-coder-0.5b, "
                        "qwen2.5-coder-1.5b) | gguf:PATH | a LiteLLM model string such as openai/gpt-4o-mini")
    parser.add_argument("--api-base", help="endpoint URL for --lm (OpenAI-compatible servers: vLLM, NIM, Ollama)")
    parser.add_argument("--api-key-env", help="environment variable that holds the API key for --lm")
    parser.add_argument("--judge-lm", help="LM for the judges (default: same as --lm)")
    parser.add_argument("--judge-api-base", help="endpoint URL for --judge-lm")
    parser.add_argument("--judge-api-key-env", help="environment variable that holds the API key for --judge-lm")
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--max-tokens", type=int)
    parser.add_argument("--embedder", help="sentence-transformers model name or path (default: embedded MiniLM)")
    parser.add_argument("--no-mlflow", action="store_true", help="do not log this run to MLflow")


def lm_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Config overrides (dotted keys) from the LM flags; None values leave the config as it is."""
    overrides: dict[str, Any] = {
        "lm.model": args.lm, "lm.api_base": args.api_base, "lm.api_key_env": args.api_key_env,
        "lm.temperature": args.temperature, "lm.max_tokens": args.max_tokens, "embedder": args.embedder,
    }
    if args.judge_lm:
        overrides.update({"judge_lm.model": args.judge_lm, "judge_lm.api_base": args.judge_api_base,
                          "judge_lm.api_key_env": args.judge_api_key_env})
    return overrides
