"""JSON-schema structured output that keeps the bounds a signature declares.

DSPy's JSONAdapter builds the response schema from each output field's bare
annotation, so `Field(max_length=5)` never reaches the LM as `maxItems` and a
small model repeats one list item until `max_tokens`. This adapter sends the
field constraints too, and `bound_schema` caps whatever is still unbounded.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache
from typing import Annotated, Any

import pydantic
from dspy.adapters.json_adapter import JSONAdapter

DEFAULT_MAX_ITEMS = 8
DEFAULT_MAX_STRING = 600


def output_model(signature: Any) -> type[pydantic.BaseModel]:
    """A pydantic model of the signature's outputs with their constraints kept."""
    fields: dict[str, Any] = {}
    for name, info in signature.output_fields.items():
        annotation = info.annotation
        if info.metadata:
            annotation = Annotated[annotation, *info.metadata]
        fields[name] = (annotation, ...)
    return pydantic.create_model(
        f"{signature.__name__}Output", __config__=pydantic.ConfigDict(extra="forbid"), **fields
    )


def bound_schema(
    schema: Any, max_items: int = DEFAULT_MAX_ITEMS, max_string: int = DEFAULT_MAX_STRING
) -> Any:
    """Copy of a JSON schema where every array and string has an upper bound."""
    if isinstance(schema, list):
        return [bound_schema(item, max_items, max_string) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: bound_schema(value, max_items, max_string) for key, value in schema.items()}
    if out.get("type") == "array":
        out.setdefault("maxItems", max_items)
    if out.get("type") == "string" and "enum" not in out and "const" not in out:
        out.setdefault("maxLength", max_string)
    return out


@lru_cache(maxsize=256)
def response_model(signature: Any) -> type[pydantic.BaseModel]:
    """The bounded response model of a signature, built once (schema generation is not free)."""
    model = output_model(signature)
    schema = bound_schema(model.model_json_schema())
    model.model_json_schema = classmethod(lambda cls, *args, **kwargs: schema)  # type: ignore[method-assign]
    return model


class BoundedJSONAdapter(JSONAdapter):
    """JSONAdapter whose response schema carries the signature's list and string bounds."""

    def _prepare_response_format(self, lm, lm_kwargs, signature):
        if (
            "response_format" in lm.supported_params
            and getattr(lm, "structured_output", None) == "json_object"
        ):
            # llama.cpp's server: no OpenAI json_schema form, but it compiles a schema sent with json_object
            schema = response_model(signature).model_json_schema()
            lm_kwargs["response_format"] = {"type": "json_object", "schema": schema}
            return
        if "response_format" not in lm.supported_params or not lm.supports_response_schema:
            return super()._prepare_response_format(lm, lm_kwargs, signature)
        lm_kwargs["response_format"] = response_model(signature)


SHARED_FIRST = ("passage", "passages")
"""Inputs put at the very start of the prompt: the calls about one chunk (interests, question types,
questions, relevance) then begin with the same tokens, and llama.cpp reuses their evaluated prefix."""


class ConstrainedJSONAdapter(BoundedJSONAdapter):
    """Lean prompts for in-process models, whose grammar already enforces the response schema.

    DSPy's JSON adapter spends about half of a short prompt describing the format (field lists, an
    input/output template, a reminder); under grammar-constrained decoding the grammar does that. Here
    the system message is the shared passage, then the task; the user message the other inputs and
    what each output field holds. Demos show every input but the passage (it would cost its length per
    demo on every call)."""

    def format(self, signature, demos, inputs):
        shared = [name for name in SHARED_FIRST if name in signature.input_fields and name in inputs]
        rest = signature
        for name in shared:
            rest = rest.delete(name)
        context = "".join(f"[[ ## {name} ## ]]\n{inputs[name]}\n\n" for name in shared)
        system = context + textwrap.dedent(signature.instructions).strip()
        user = self.format_user_message_content(rest, inputs, main_request=True)
        return [
            {"role": "system", "content": system},
            *self.format_demos(rest, demos),
            {"role": "user", "content": user},
        ]

    def user_message_output_requirements(self, signature) -> str:
        return (
            "Answer with "
            + "; ".join(
                f"{name}: {info.json_schema_extra.get('desc') if info.json_schema_extra else name}"
                for name, info in signature.output_fields.items()
            )
            + "."
        )
