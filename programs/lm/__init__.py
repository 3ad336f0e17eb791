"""LM plumbing: building dspy.LM objects (embedded models, local GGUF files, endpoints), the in-process
llama.cpp engine, bounded JSON-schema structured output, and the one place a stage calls its LM (usage
counted per stage, failures classified)."""

from personaqa.programs.lm.build import adapter_for, build_lm, describe_lm, probe_structured_output
from personaqa.programs.lm.calls import StageFailure, call_lm
from personaqa.programs.lm.embedded_models import DEFAULT_EMBEDDED, embedded_model
from personaqa.programs.lm.structured_output import BoundedJSONAdapter, ConstrainedJSONAdapter
from personaqa.programs.lm.usage import Ledger, StageUsage

__all__ = [
    "DEFAULT_EMBEDDED",
    "BoundedJSONAdapter",
    "ConstrainedJSONAdapter",
    "Ledger",
    "StageFailure",
    "StageUsage",
    "adapter_for",
    "build_lm",
    "call_lm",
    "describe_lm",
    "embedded_model",
    "probe_structured_output",
]
