"""Build dspy.LM objects from LMConfig: the embedded model, a local GGUF, or any LiteLLM endpoint."""

from __future__ import annotations

import os
from typing import Literal

import dspy
from personaqa.programs.config import LMConfig
from personaqa.programs.core.errors import InputError, LMUnavailableError
from personaqa.programs.lm.calls import DSPY_KEY_ADVICE
from personaqa.programs.lm.embedded_models import embedded_model, model_path
from personaqa.programs.lm.llama_engine import LlamaCppEngine
from personaqa.programs.lm.pricing import memoise_price_lookups
from personaqa.programs.lm.structured_output import BoundedJSONAdapter, ConstrainedJSONAdapter

StructuredOutput = Literal["json_schema", "json_object", "none"]
PromptForm = Literal["auto", "lean", "full"]


def describe_lm(config: LMConfig) -> str:
    """A loggable name for the LM (no key, no secrets)."""
    return config.model if not config.api_base else f"{config.model} @ {config.api_base}"


class WholeAnswerLM(dspy.LM):
    """dspy.LM that refuses an answer cut at max_tokens (in-process models and endpoints alike)."""

    def __init__(self, *args, reject_truncated: bool = True, prompt_form: PromptForm = "auto", **kwargs):
        super().__init__(*args, **kwargs)
        self.reject_truncated = reject_truncated
        self.prompt_form = prompt_form

    def update_history(self, entry: dict) -> None:
        """Every finished call passes here (cache hits too): an answer cut at max_tokens is refused,
        because DSPy's JSON repair would otherwise close the cut JSON and pass half a question as whole."""
        super().update_history(entry)
        if self.reject_truncated and _truncated(entry.get("response")):
            raise TruncatedAnswerError(
                f"answer cut at max_tokens={self.kwargs.get('max_tokens')} (finish_reason=length); "
                "raise lm.max_tokens if this happens often"
            )

    def copy(self, **kwargs) -> WholeAnswerLM:
        clone = super().copy(**kwargs)
        clone.reject_truncated = self.reject_truncated
        clone.prompt_form = self.prompt_form
        return clone


class InProcessLM(WholeAnswerLM):
    """dspy.LM over the in-process llama.cpp engine (embedded models, gguf:PATH): grammar-constrained."""


def adapter_for(lm: dspy.LM | None) -> BoundedJSONAdapter:
    """The prompt form for an LM (`lm.prompt_form`): `auto` is lean where a grammar enforces the schema
    (in-process models) and DSPy's full JSON form, with the bounded schema, elsewhere."""
    form = getattr(lm, "prompt_form", "auto")
    lean = form == "lean" or (form == "auto" and isinstance(lm, InProcessLM))
    return ConstrainedJSONAdapter() if lean else BoundedJSONAdapter()


class EndpointLM(WholeAnswerLM):
    """dspy.LM for an endpoint whose structured-output form is known (configured or probed), not guessed
    from LiteLLM's model catalog, which does not know self-hosted models: vLLM and OpenAI take
    `json_schema`, llama.cpp's server only `json_object`, some servers neither."""

    def __init__(self, *args, structured_output: StructuredOutput = "json_schema", **kwargs):
        super().__init__(*args, **kwargs)
        self.structured_output = structured_output

    @property
    def supports_response_schema(self) -> bool:
        return self.structured_output == "json_schema"

    @property
    def supported_params(self) -> set[str]:
        if getattr(self, "_catalog_params", None) is None:
            self._catalog_params = frozenset(
                super().supported_params
            )  # a catalog look-up: once, not per call
        params = set(self._catalog_params)
        if self.structured_output == "none":
            return params - {"response_format"}
        return params | {"response_format"}

    def copy(self, **kwargs) -> EndpointLM:
        clone = super().copy(**kwargs)
        clone.structured_output = self.structured_output
        return clone


class TruncatedAnswerError(ValueError):
    """The LM stopped at max_tokens: its answer is incomplete (the item is rejected with `lm_error`)."""


def _finish_reasons(response: object) -> list[object]:
    """finish_reason of every choice in a call's response: lm15 Responses (native engine) or an
    OpenAI-shaped completion (LiteLLM path), as objects or dicts."""
    items = response if isinstance(response, (list, tuple)) else [response]
    reasons: list[object] = []
    for item in items:
        get = item.get if isinstance(item, dict) else lambda name, item=item: getattr(item, name, None)
        if get("finish_reason") is not None:
            reasons.append(get("finish_reason"))
        for choice in get("choices") or []:
            reasons.append(
                choice.get("finish_reason")
                if isinstance(choice, dict)
                else getattr(choice, "finish_reason", None)
            )
    return reasons


def _first_line(exc: BaseException | None) -> str:
    lines = str(exc).replace(DSPY_KEY_ADVICE, "pass --api-key-env VAR").strip().splitlines()
    return lines[0][:160] if lines else "(no message)"


def _truncated(response: object) -> bool:
    return any(reason == "length" for reason in _finish_reasons(response))


def check_lm_config(config: LMConfig) -> str | None:
    """What `build_lm` checks before it loads or calls anything: an in-process model's GGUF file (its path is
    returned, None for an endpoint) and an endpoint's API key variable. Raises InputError otherwise."""
    embedded = embedded_model(config.model)
    if embedded is not None or config.model.startswith("gguf:"):
        if config.extra_body:
            raise InputError(f"lm.extra_body is for endpoint LMs; --lm {config.model} runs in-process")
        path = str(model_path(embedded)) if embedded else config.model.removeprefix("gguf:")
        if not os.path.isfile(path):
            raise InputError(f"--lm {config.model}: GGUF file not found")
        return path
    if config.api_key_env and not os.environ.get(config.api_key_env):
        raise InputError(f"api_key_env: environment variable {config.api_key_env} is not set")
    return None


def build_lm(config: LMConfig) -> dspy.LM:
    memoise_price_lookups()
    path = check_lm_config(config)
    if path is not None:
        embedded = embedded_model(config.model)
        engine = LlamaCppEngine(path, n_ctx=config.n_ctx, seed=config.seed)
        name = embedded.name if embedded else os.path.basename(path)
        return InProcessLM(
            name,
            engine=engine,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            num_retries=config.num_retries,
            prompt_form=config.prompt_form,
        )
    kwargs: dict = {}
    if config.api_key_env:
        kwargs["api_key"] = os.environ[config.api_key_env]
    if config.api_base:
        kwargs["api_base"] = config.api_base
        kwargs.setdefault("api_key", "EMPTY")  # self-hosted servers (vLLM, llama.cpp, Ollama) often need none
    if config.extra_body:
        kwargs["extra_body"] = dict(config.extra_body)
    mode = "json_schema" if config.structured_output == "auto" else config.structured_output
    lm = EndpointLM(
        config.model,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        num_retries=config.num_retries,
        timeout=config.timeout,
        structured_output=mode,
        prompt_form=config.prompt_form,
        **kwargs,
    )
    if config.structured_output == "auto":
        lm.structured_output = probe_structured_output(lm, describe_lm(config), config.api_key_env)
    return lm


class _Probe(dspy.Signature):
    """Answer with the word ok."""

    request: str = dspy.InputField()
    answer: str = dspy.OutputField()


def probe_structured_output(lm: EndpointLM, name: str, key_env: str | None = None) -> StructuredOutput:
    """The first form the endpoint accepts, strongest first; an unreachable endpoint stops here, and one
    that wants a key it was not given (or refuses the key in `key_env`) is an InputError naming the flag."""
    probe = lm.copy(cache=False, num_retries=0, max_tokens=16)
    probe.reject_truncated = False  # a reply cut at 16 tokens still shows that the form is accepted
    last: Exception | None = None
    for mode in ("json_schema", "json_object", "none"):
        probe.structured_output = mode
        try:
            with dspy.context(lm=probe, adapter=BoundedJSONAdapter()):
                dspy.Predict(_Probe)(request="ping")
            return mode
        except (dspy.LMAuthError, dspy.LMNotConfiguredError) as exc:
            raise key_error(name, key_env, exc) from None
        except (dspy.LMTransportError, dspy.LMTimeoutError, dspy.LMConfigurationError) as exc:
            raise LMUnavailableError(
                f"--lm {name}: endpoint unreachable or refused ({type(exc).__name__}: {_first_line(exc)})"
            ) from None
        except Exception as exc:  # noqa: BLE001 - this form was refused or unparsable: try the next one
            last = exc
    if isinstance(last, _SETTING_ERRORS):
        # Even the plain request (no response_format) was refused before any answer: the model string or
        # URL is wrong, which waiting and rerunning will not fix.
        raise InputError(
            f"--lm {name}: every request is refused ({type(last).__name__}: "
            f"{_first_line(last)}); check --lm (a LiteLLM model string such as "
            "openai/gpt-4o-mini) and --api-base"
        )
    raise LMUnavailableError(
        f"--lm {name}: no structured-output form works ({type(last).__name__}: {_first_line(last)})"
    )


def key_error(name: str, key_env: str | None, exc: BaseException) -> InputError:
    """The endpoint wants an API key: say which flag gives it one (not DSPy's advice for library users)."""
    if key_env:
        return InputError(
            f"--lm {name}: the endpoint refused the API key in ${key_env} "
            f"({type(exc).__name__}); check the key, or --api-key-env if another variable holds it"
        )
    return InputError(
        f"--lm {name}: missing API key: the endpoint wants one; put it in an environment "
        "variable and pass its name with --api-key-env (e.g. --api-key-env OPENAI_API_KEY)"
    )


_SETTING_ERRORS = (
    dspy.LMInvalidRequestError,
    dspy.LMUnexpectedError,
    dspy.LMUnsupportedModelError,
    dspy.LMNotConfiguredError,
)
