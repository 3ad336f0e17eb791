"""Run configuration: a validated pydantic model read from YAML, overridden by CLI flags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from personaqa.programs.core.errors import InputError
from personaqa.programs.corpus.documents import read_text
from personaqa.programs.corpus.embedding import DEFAULT_EMBEDDER
from personaqa.signatures import QUESTION_TYPE_DESCRIPTIONS
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

EMBEDDED_LM = "embedded"
# A category axis is exported beside these fields of a BEIR query (and becomes an `evaluate` breakdown).
RESERVED_AXIS_NAMES = frozenset(
    {
        "_id",
        "text",
        "persona",
        "question_type",
        "wording",
        "complexity",
        "interest",
        "chunk_id",
        "doc_id",
        "answer",
        "evidence",
        "metadata",
        "title",
        "categories",
    }
)


class Category(BaseModel):
    """One category of a categorisation axis (recipe/categories.py): its target proportion (a relative
    weight) and what the question writer is told to do for it (empty: nothing beyond the question type)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = Field(default=1.0, ge=0)
    instruction: str = Field(default="", max_length=300)


class LMConfig(BaseModel):
    """Which LM to call. `embedded`, `gguf:PATH`, or any LiteLLM model string (e.g. `openai/gpt-4o-mini`,
    `hosted_vllm/meta-llama/Llama-3.1-8B-Instruct`). The key is read from the named environment variable
    at call time and is never stored."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default=EMBEDDED_LM,
        description="embedded | embedded:NAME | gguf:PATH | a LiteLLM "
        "model string such as openai/gpt-4o-mini",
    )
    api_base: str | None = Field(
        default=None, description="endpoint URL (vLLM, NIM, Ollama, any OpenAI-compatible server)"
    )
    api_key_env: str | None = Field(
        default=None, description="name of the environment variable holding the key"
    )
    temperature: float = Field(default=0.0, ge=0, le=2, description="sampling temperature")
    max_tokens: int = Field(
        default=256,
        gt=0,
        le=32768,
        description="cap on tokens per answer; an answer cut at the cap is rejected, not kept",
    )
    seed: int = Field(default=0, description="sampling seed (in-process models)")
    num_retries: int = Field(default=3, ge=0, le=20, description="retries of a failed endpoint call")
    timeout: float = Field(default=120.0, gt=0, description="seconds to wait for one endpoint answer")
    n_ctx: int = Field(default=4096, ge=512, description="context size for embedded/GGUF models")
    structured_output: Literal["auto", "json_schema", "json_object", "none"] = Field(
        default="auto", description="how an endpoint takes structured output; auto probes it once at start"
    )
    prompt_form: Literal["auto", "lean", "full"] = Field(
        default="auto",
        description="lean: passage first, no format boilerplate (for grammar-constrained "
        "decoding); full: DSPy's JSON adapter prompt; auto: lean for in-process models, full for endpoints",
    )
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description="provider-specific request fields sent as they are, e.g. "
        "{repeat_penalty: 1.0} for llama.cpp's server (its default 1.1 differs from the in-process model's)",
    )

    @field_validator("extra_body")
    @classmethod
    def _no_credentials(cls, body: dict[str, Any]) -> dict[str, Any]:
        """run.json and MLflow record the config: a key must come from api_key_env, never from here."""
        secret = next(
            (k for k in body if any(w in k.lower() for w in ("key", "token", "secret", "auth", "pass"))), None
        )
        if secret:
            raise ValueError(
                f"{secret!r} looks like a credential; name its environment variable in api_key_env"
            )
        return body


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chunk_size: int = Field(default=1200, ge=200, le=20000, description="characters per chunk")
    chunk_overlap: int = Field(default=150, ge=0, description="characters repeated between chunks")
    limit_chunks: int | None = Field(
        default=None, ge=1, description="use only the first N chunks (null: all)"
    )
    max_interests: int = Field(default=3, ge=1, le=5, description="interests kept per (chunk, persona)")
    max_types_per_interest: int = Field(
        default=1,
        ge=1,
        le=6,
        description="question types per interest "
        "(1 keeps the sample within minutes on the embedded model, 2 CPU cores)",
    )
    own_wording_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="share of questions written in "
        "the person's own words instead of the passage's (a persona's own "
        "own_wording_share overrides it); see programs/recipe/wording.py",
    )
    interest_dedup_threshold: float = Field(
        default=0.85, gt=0, le=1, description="cosine at which two interests of a unit are one"
    )
    question_dedup_threshold: float = Field(
        default=0.92,
        gt=0,
        le=1,
        description="cosine at which a question repeats one already kept (dropped at `dedup`)",
    )
    persona_stake_threshold: float = Field(
        default=0.13,
        ge=0,
        le=1,
        description="a persona with example questions "
        "passes on a chunk whose cosine with their centroid is below this "
        "(programs/recipe/stake.py); 0 asks every persona about every chunk",
    )
    batched_filters: bool = Field(
        default=False, description="judge and rewrite a unit's candidates in one call"
    )
    question_types: list[str] = Field(
        default_factory=lambda: list(QUESTION_TYPE_DESCRIPTIONS),
        description="the question types to ask (built-in or custom_question_types)",
    )
    question_type_selection: Literal["sampled", "lm"] = Field(
        default="sampled",
        description="sampled: each interest's types drawn from question_type_weights (no LM call; the mix "
        "is what you set); lm: the LM picks the types the chunk supports (one call per interest)",
    )
    question_type_weights: dict[str, float] = Field(
        default_factory=dict,
        description="target proportions of the sampled types, e.g. {extractive: 3, "
        "comparative: 1}; unlisted built-in types keep their default weight, custom types weigh 1",
    )
    custom_question_types: dict[str, str] = Field(
        default_factory=dict, description="extra types: name -> what the question asks for"
    )
    categorisations: dict[str, dict[str, Category]] = Field(
        default_factory=dict,
        description="axes a set varies along, each category with a target weight and an instruction for "
        "the question writer, e.g. {premise: {with_premise: {weight: 1, instruction: ...}, "
        "no_premise: {weight: 1}}}; every record carries its categories (recipe/categories.py)",
    )
    complex_ratio: float = Field(
        default=0.0, ge=0, le=0.9, description="share of units that ask multi-chunk questions (0 = off)"
    )
    complex_group_size: int = Field(default=2, ge=2, le=3, description="chunks per complex question")
    complex_sentence_threshold: float = Field(
        default=0.7, gt=0, le=1, description="cosine at which two sentences say the same thing"
    )
    complex_jaccard_threshold: float = Field(
        default=0.15, gt=0, le=1, description="semantic Jaccard at which two chunks overlap"
    )
    complex_max_jaccard: float = Field(
        default=0.6, gt=0, le=1, description="semantic Jaccard above which two chunks are near-duplicates"
    )
    complex_cross_document: bool = Field(default=True, description="group chunks of different documents too")
    complex_question_types: list[Literal["comparative", "aggregative", "multi_hop"]] = Field(
        default_factory=lambda: ["comparative", "aggregative", "multi_hop"],
        description="question types asked over a chunk group",
    )
    complex_types_per_group: int = Field(default=1, ge=1, le=3, description="question types per chunk group")
    pool_depth: int = Field(
        default=0,
        ge=0,
        le=100,
        description="pooled judging: the relevance judge "
        "grades each chunk in the top K of BM25 and of dense retrieval for every kept "
        "question (0 = off)",
    )
    lm: LMConfig = Field(default_factory=LMConfig)
    judge_lm: LMConfig | None = Field(default=None, description="the judges' LM (null: the judges use lm)")
    embedder: str = Field(
        default=DEFAULT_EMBEDDER,
        description="sentence-transformers model name or path for the stake gate, dedup and dense retrieval",
    )

    @model_validator(mode="after")
    def _check(self) -> RunConfig:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        if self.complex_jaccard_threshold >= self.complex_max_jaccard:
            raise ValueError("complex_jaccard_threshold must be smaller than complex_max_jaccard")
        known = {**QUESTION_TYPE_DESCRIPTIONS, **self.custom_question_types}
        unknown = [t for t in self.question_types if t not in known]
        if unknown:
            raise ValueError(
                f"question_types: unknown question type(s) {unknown}; known: {sorted(known)} "
                "(define new ones under custom_question_types)"
            )
        if not self.question_types:
            raise ValueError("question_types must not be empty")
        stray = [t for t in self.question_type_weights if t not in self.question_types]
        if stray:
            raise ValueError(f"question_type_weights: {stray} not in question_types {self.question_types}")
        if any(w < 0 for w in self.question_type_weights.values()):
            raise ValueError("question_type_weights: weights must not be negative")
        for axis, categories in self.categorisations.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]*", axis) or axis in RESERVED_AXIS_NAMES:
                raise ValueError(
                    f"categorisations: axis name {axis!r} must be lower_snake_case and not one of "
                    f"a question's own fields ({', '.join(sorted(RESERVED_AXIS_NAMES))})"
                )
            if not any(c.weight > 0 for c in categories.values()):
                raise ValueError(f"categorisations: axis {axis!r} needs a category with a weight above 0")
        return self

    def type_descriptions(self) -> dict[str, str]:
        known = {**QUESTION_TYPE_DESCRIPTIONS, **self.custom_question_types}
        return {name: known[name] for name in self.question_types}


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    message = err["msg"]
    if not field:  # a check across fields (model validator): its message names the field(s)
        message = message.removeprefix("Value error, ")
        named = re.match(r"([a-z_][\w.]*): (.*)", message, re.DOTALL)
        if not named:
            return message
        field, message = named.groups()
    if err.get("type") == "extra_forbidden":
        return f"field '{field}': unknown setting{_suggest(err['loc'])}"
    return f"field '{field}': {message}"


def _suggest(loc: tuple) -> str:
    """'; did you mean ...' for a misspelt setting, from the fields of the model it sits in."""
    import difflib

    model: type[BaseModel] = RunConfig
    for part in loc[:-1]:
        if part not in ("lm", "judge_lm"):
            return ""
        model = LMConfig
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(model.model_fields)}"


def with_overrides(
    data: dict[str, Any], overrides: dict[str, Any] | None, where: str = "command line"
) -> RunConfig:
    """RunConfig from the settings `data` (a plain dict, as YAML or `model_dump(mode="json")` gives it) with
    the non-None `overrides` set on top (dotted keys, e.g. "lm.model"). Raises InputError naming `where`."""
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        target = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            if not isinstance(target.get(key), dict):
                target[key] = {}
            target = target[key]
        target[leaf] = value
    try:
        return RunConfig(**data)
    except ValidationError as exc:
        raise InputError(f"{where}: {_describe(exc)}") from None


def load_config(path: Path | str | None, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Config from an optional YAML file, with non-None `overrides` (dotted keys allowed) applied on top."""
    data: dict[str, Any] = {}
    where = "command line"
    if path is not None:
        path = Path(path)
        where = str(path)
        if not path.is_file():
            raise InputError(f"{path}: config file not found")
        try:
            loaded = yaml.safe_load(read_text(path))
        except yaml.YAMLError as exc:
            raise InputError(f"{path}: cannot parse YAML ({type(exc).__name__})") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise InputError(f"{path}: expected a mapping of settings")
        data = loaded or {}
    return with_overrides(data, overrides, where)
