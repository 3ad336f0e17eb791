"""Greedy decoding under a grammar that checks the grammar on the greedy token first.

llama-cpp-python's sampler chain applies a JSON-schema grammar to every candidate of the vocabulary (152k for
Qwen2.5) before each greedy pick. This module's sampler takes the unconstrained greedy token, asks the grammar
about that one token, and applies the grammar to the whole vocabulary only when the grammar rejects it: the
"grammar first = false" path of llama.cpp's own `common_sampler_sample` (common/sampling.cpp). Under greedy
decoding the result is the same token: the highest-logit token the grammar allows.
"""

from __future__ import annotations

import ctypes
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import Llama

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])  # llama_token_data


class GrammarFirstGreedy:
    """Greedy sampler for one generation under `grammar`; the `sample`/`accept`/`reset`/`close` interface of
    llama-cpp-python's `LlamaSampler`, which `Llama.generate` calls.

    `checks` counts tokens sampled and `full_passes` those for which the greedy token was rejected and the
    grammar ran over the whole vocabulary."""

    def __init__(self, vocab: Any, grammar: Any, n_vocab: int):
        self._sampler = llama_cpp.llama_sampler_init_grammar(
            vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not self._sampler:
            raise ValueError("llama.cpp could not parse the grammar")
        self._n_vocab = n_vocab
        self._one = (llama_cpp.llama_token_data * 1)()
        self._all = (llama_cpp.llama_token_data * n_vocab)()
        self._all_view = np.frombuffer(self._all, dtype=_TOKEN_DATA)
        self._all_view["id"] = np.arange(n_vocab, dtype=np.int32)
        self.checks = 0
        self.full_passes = 0

    def _apply(self, data: Any, size: int) -> None:
        array = llama_cpp.llama_token_data_array(data=data, size=size, selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(self._sampler, ctypes.byref(array))

    def sample(self, ctx: Any, idx: int = -1) -> int:
        """The next token for the logits at output `idx` of `ctx` (a `llama_cpp._internals.LlamaContext`);
        the token is accepted into the grammar."""
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx.ctx, idx), shape=(self._n_vocab,))
        token = int(np.argmax(logits))
        self.checks += 1
        self._one[0].id, self._one[0].logit, self._one[0].p = token, float(logits[token]), 0.0
        self._apply(self._one, 1)
        if not np.isfinite(self._one[0].logit):
            self.full_passes += 1
            self._all_view["logit"] = logits
            self._apply(self._all, self._n_vocab)
            token = int(np.argmax(self._all_view["logit"]))
        self.accept(token)
        return token

    def accept(self, token: int) -> None:
        llama_cpp.llama_sampler_accept(self._sampler, token)

    def reset(self) -> None:
        llama_cpp.llama_sampler_reset(self._sampler)

    def close(self) -> None:
        if self._sampler:
            llama_cpp.llama_sampler_free(self._sampler)
            self._sampler = None

    def __del__(self) -> None:
        self.close()


class GrammarFirstLlama(Llama):
    """`llama_cpp.Llama` that decodes grammar-constrained greedy calls (temperature 0, no penalties, no logits
    processor) with `GrammarFirstGreedy`; every other call takes llama-cpp-python's own sampler chain."""

    def _init_sampler(self, *args: Any, **kwargs: Any) -> Any:
        grammar = kwargs.get("grammar")
        neutral = (
            kwargs.get("temp") == 0.0
            and kwargs.get("logits_processor") is None
            and kwargs.get("repeat_penalty", 1.0) == 1.0
            and kwargs.get("frequency_penalty", 0.0) == 0.0
            and kwargs.get("presence_penalty", 0.0) == 0.0
        )
        if grammar is None or args or not neutral:
            return super()._init_sampler(*args, **kwargs)
        return GrammarFirstGreedy(self._model.vocab, grammar, self._n_vocab)
