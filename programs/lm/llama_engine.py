"""In-process llama.cpp engine for dspy.LM, with JSON-schema constrained decoding.

The embedded LMs (`embedded_models.py`) and any local GGUF file run through this engine:
no server, no key, no network.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from dspy.lm15 import Message, Response, TextPart, Usage, response_to_events
from personaqa.programs.lm.structured_output import bound_schema

# Prompt families a unit moves between: its passage (interests, questions, relevance), the generality
# judge's demos, the context stage's naming and the style rewrite; one context each.
CONTEXTS = 4


def _message_text(message: Any) -> str:
    return "".join(getattr(part, "text", "") or "" for part in message.parts)


class LlamaCppEngine:
    """dspy engine over `llama_cpp.Llama`; calls serialised by a lock.

    llama.cpp reuses the evaluated prefix a prompt shares with the previous prompt of the same context.
    The engine keeps `contexts` llama.cpp contexts over one model (its weights are memory-mapped once) and
    sends each call to the context that last saw a prompt with the same start (its system message: the
    passage for the calls about one chunk, the instructions and demos for a judge), least recently used
    first when a new start comes. With one context the stages of a unit evict each other: the generality
    judge re-read its ~400 tokens of demos, and the relevance judge the passage, after every style call.
    llama-cpp-python's LlamaRAMCache, which would keep earlier prefixes too, is not used: each state it
    keeps holds the logits of every prompt token (a 600-token prompt with a 152k vocabulary is 360 MB),
    which its size accounting leaves out; a run of the sample grew to 24 GB and was killed.
    Greedy calls under a JSON schema check the grammar on the greedy token first (`grammar_first`)."""

    supports_response_schema = True
    supported_params = frozenset({"response_format", "temperature", "max_tokens", "seed", "top_p", "stop"})
    FAMILY_CHARS = 200  # characters of the system message that name a call's prompt family

    def __init__(
        self,
        model_path: str | Path,
        n_ctx: int = 4096,
        seed: int = 0,
        n_threads: int | None = None,
        contexts: int = CONTEXTS,
    ):
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(f"GGUF model file not found: {path}")
        if contexts < 1:
            raise ValueError("contexts must be at least 1")
        self.model_path = path
        self.n_ctx = n_ctx
        self.seed = seed
        self.n_threads = n_threads
        self.contexts = contexts
        self._llamas: OrderedDict[str, Any] = OrderedDict()  # prompt family -> context, least recent first
        self._lock = threading.Lock()

    def _new_context(self) -> Any:
        from personaqa.programs.lm.grammar_first import GrammarFirstLlama

        threads = self.n_threads or os.cpu_count() or 1  # llama.cpp's default is half the cores
        # flash attention: 100 grammar-constrained tokens of the 1.5B model in 8.1 s instead of 9.2 s here
        return GrammarFirstLlama(
            model_path=str(self.model_path),
            n_ctx=self.n_ctx,
            seed=self.seed,
            n_threads=threads,
            n_threads_batch=threads,
            flash_attn=True,
            verbose=False,
        )

    def _model(self, family: str = "") -> Any:
        """The context for prompts starting with `family`: the one that last saw it, else a new one while
        fewer than `contexts` exist, else the least recently used. Call under the lock."""
        if family in self._llamas:
            self._llamas.move_to_end(family)
        elif len(self._llamas) < self.contexts:
            self._llamas[family] = self._new_context()
        else:
            _, llama = self._llamas.popitem(last=False)
            self._llamas[family] = llama
        return self._llamas[family]

    def complete(self, request: Any) -> Response:
        messages = []
        if request.system:
            system = (
                request.system if isinstance(request.system, str) else "".join(p.text for p in request.system)
            )
            messages.append({"role": "system", "content": system})
        messages.extend({"role": m.role, "content": _message_text(m)} for m in request.messages)
        config = request.config
        kwargs: dict[str, Any] = {
            "max_tokens": config.max_tokens or 512,
            "temperature": 0.0 if config.temperature is None else config.temperature,
            "seed": self.seed if config.seed is None else config.seed,
        }
        if config.top_p is not None:
            kwargs["top_p"] = config.top_p
        if config.stop:
            kwargs["stop"] = list(config.stop)
        fmt = config.response_format
        if fmt is not None:
            # llama.cpp takes the schema as {"type": "json_object", "schema": ...}, compiled to a grammar.
            schema = bound_schema(fmt.get("schema")) if fmt.get("type") == "json_schema" else None
            kwargs["response_format"] = {"type": "json_object", **({"schema": schema} if schema else {})}
        family = messages[0]["content"][: self.FAMILY_CHARS] if messages else ""
        with self._lock:
            out = self._model(family).create_chat_completion(messages=messages, **kwargs)
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        finish = "length" if choice.get("finish_reason") == "length" else "stop"
        return Response(
            id=out.get("id"),
            model=self.model_path.name,
            message=Message.assistant([TextPart(choice["message"].get("content") or "")]),
            finish_reason=finish,
            usage=Usage(
                input_tokens=usage.get("prompt_tokens"), output_tokens=usage.get("completion_tokens")
            ),
        )

    def stream(self, request: Any):
        return response_to_events(self.complete(request))

    def close(self) -> None:
        self._llamas.clear()

    def dump_state(self) -> dict[str, Any]:
        return {
            "model_path": str(self.model_path),
            "n_ctx": self.n_ctx,
            "seed": self.seed,
            "contexts": self.contexts,
        }

    @classmethod
    def load_state(cls, state: dict[str, Any]) -> LlamaCppEngine:
        return cls(
            state["model_path"],
            n_ctx=state.get("n_ctx", 4096),
            seed=state.get("seed", 0),
            contexts=state.get("contexts", CONTEXTS),
        )
