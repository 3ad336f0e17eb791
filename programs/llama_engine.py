"""In-process llama.cpp engine for dspy.LM, with JSON-schema constrained decoding.

The embedded LMs (`embedded_models.py`) and any local GGUF file run through this engine:
no server, no key, no network.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from dspy.lm15 import Message, Response, TextPart, Usage, response_to_events

from personaqa.programs.structured_output import bound_schema

def _message_text(message: Any) -> str:
    return "".join(getattr(part, "text", "") or "" for part in message.parts)


class LlamaCppEngine:
    """dspy engine over `llama_cpp.Llama`; one model per engine, calls serialised by a lock.

    llama.cpp reuses the evaluated prefix a prompt shares with the previous one, so consecutive calls
    about one chunk (whose prompts start with its passage) skip evaluating it again. llama-cpp-python's
    LlamaRAMCache, which would keep earlier prefixes too, is not used: each state it keeps holds the
    logits of every prompt token (a 600-token prompt with a 152k vocabulary is 360 MB), which its size
    accounting leaves out; a run of the sample grew to 24 GB and was killed."""

    supports_response_schema = True
    supported_params = frozenset({"response_format", "temperature", "max_tokens", "seed", "top_p", "stop"})

    def __init__(self, model_path: str | Path, n_ctx: int = 4096, seed: int = 0, n_threads: int | None = None):
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(f"GGUF model file not found: {path}")
        self.model_path = path
        self.n_ctx = n_ctx
        self.seed = seed
        self.n_threads = n_threads
        self._llama: Any = None
        self._lock = threading.Lock()

    def _model(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            threads = self.n_threads or os.cpu_count() or 1  # llama.cpp's default is half the cores
            self._llama = Llama(
                model_path=str(self.model_path), n_ctx=self.n_ctx, seed=self.seed,
                n_threads=threads, n_threads_batch=threads, verbose=False,
            )

        return self._llama

    def complete(self, request: Any) -> Response:
        messages = []
        if request.system:
            system = request.system if isinstance(request.system, str) else "".join(p.text for p in request.system)
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
            # llama.cpp takes the schema as {"type": "json_object", "schema": ...} and compiles it to a grammar.
            schema = bound_schema(fmt.get("schema")) if fmt.get("type") == "json_schema" else None
            kwargs["response_format"] = {"type": "json_object", **({"schema": schema} if schema else {})}
        with self._lock:
            out = self._model().create_chat_completion(messages=messages, **kwargs)
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        finish = "length" if choice.get("finish_reason") == "length" else "stop"
        return Response(
            id=out.get("id"), model=self.model_path.name,
            message=Message.assistant([TextPart(choice["message"].get("content") or "")]),
            finish_reason=finish,
            usage=Usage(input_tokens=usage.get("prompt_tokens"), output_tokens=usage.get("completion_tokens")),
        )

    def stream(self, request: Any):
        return response_to_events(self.complete(request))

    def close(self) -> None:
        self._llama = None

    def dump_state(self) -> dict[str, Any]:
        return {"model_path": str(self.model_path), "n_ctx": self.n_ctx, "seed": self.seed}

    @classmethod
    def load_state(cls, state: dict[str, Any]) -> LlamaCppEngine:
        return cls(state["model_path"], n_ctx=state.get("n_ctx", 4096), seed=state.get("seed", 0))
