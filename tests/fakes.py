"""Shared test doubles: a scripted dspy engine that answers by the requested output fields.

A stage is recognised by the output field names in the JSON schema the BoundedJSONAdapter sends
(`request.config.response_format["schema"]["properties"]`); the two judges both answer
`reason` + `verdict` and are told apart by the enum of allowed verdicts.

Answers are constants or callables receiving the request's user text (a `UserText`, i.e. a `str`
with the parsed `[[ ## field ## ]]` inputs on `.inputs`). An answer may be:

* a dict: sent as the JSON object verbatim;
* for the judges, a verdict string or a `(verdict, reason)` tuple;
* for the other stages, the value of the single output field;
* `INVALID_JSON`: the engine replies with text that is not JSON;
* `Raise(exc)`: the engine raises `exc`.
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import dspy
import numpy as np
from dspy.lm15 import Message, Response, TextPart, Usage, response_to_events
from personaqa.programs.lm.structured_output import BoundedJSONAdapter
from personaqa.programs.recipe.checks.evidence import restates

# Engine keys (one per kind of LM call) and the usage-ledger stage each one is counted under.
STAGE_OF_KEY = {
    "interests": "interests",
    "question_types": "question_types",
    "question": "generation",
    "named_question": "context",
    "relevance": "relevance",
    "complex_relevance": "complex_relevance",
    "generality": "generality",
    "writing_style": "style",
    "styled_question": "style",
}

INVALID_JSON = object()


@dataclass(frozen=True)
class Raise:
    """Answer that makes the engine raise `exc` instead of replying."""

    exc: BaseException


_INPUT = re.compile(r"\[\[ ## (\w+) ## \]\]\n(.*?)(?=\n\n\[\[ ## |\n\nRespond with|\Z)", re.DOTALL)


class UserText(str):
    """The last user message of a request, with its `[[ ## name ## ]]` input fields parsed."""

    @property
    def inputs(self) -> dict[str, str]:
        return {name: value.strip() for name, value in _INPUT.findall(self)}


def parse_inputs(text: str) -> dict[str, str]:
    return UserText(text).inputs


def _default_question(text: UserText) -> str:
    inputs = text.inputs
    qtype = inputs.get("question_type", "").split(":")[0]
    return f"What does the {inputs.get('interest', 'topic')} section of the Harbor report say ({qtype})?"


DEFAULT_ANSWERS: dict[str, Any] = {
    "interests": ["break fee"],
    "question_types": ["extractive"],
    "question": _default_question,
    "relevance": ("fully", "the passage states it"),
    # (verdict, reason, number of a passage that alone answers fully or 0)
    "complex_relevance": ("fully", "each passage holds part of the answer", 0),
    "generality": ("insightful", "specific and self-contained"),
    # every style is written by the rewrite call
    "writing_style": {"length": "full sentences", "tone": "casual", "wording": "everyday words"},
    "styled_question": lambda text: "styled: " + text.inputs["question"],
    # the question naming its document's title, as the response pattern makes a real model do
    "named_question": lambda text: text.inputs["question"].rstrip("?") + " in " + text.inputs["title"] + "?",
}


def numbered_sentences(passage: str) -> dict[int, str]:
    """Sentence number -> sentence of a numbered passage (text_views.numbered_passage)."""
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\[(\d+)\] (.*)$", passage, re.MULTILINE)}


_COMMON = frozenset(
    [
        "the",
        "and",
        "for",
        "are",
        "was",
        "were",
        "what",
        "which",
        "when",
        "how",
        "does",
        "did",
        "has",
        "have",
        "with",
        "this",
        "that",
        "from",
        "many",
        "much",
        "its",
        "their",
        "there",
    ]
)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) >= 3 and w not in _COMMON}


def answering_sentence(passage: str, question: str) -> tuple[int, str]:
    """What the scripted relevance judge cites and answers with, unless a test scripts it: of the sentences
    of a numbered passage whose first 8 words say more than the question (a title line such as "# Harbor
    merger" only repeats it: evidence.restates), the one whose words are most the question's (the share of
    its words the question holds; the first on a tie), and those 8 words (at most 100 characters)."""
    said = [
        (n, " ".join(sentence.split()[:8]), sentence) for n, sentence in numbered_sentences(passage).items()
    ]
    answering = [(n, words, sentence) for n, words, sentence in said if not restates(words, question)]
    if not answering:
        return (said[0][0], said[0][1]) if said else (1, "")
    best = max(
        answering,
        key=lambda item: (len(_words(item[2]) & _words(question)) / max(1, len(_words(item[2]))), -item[0]),
    )
    return best[0], best[1][:100]  # a real judge's answer is bounded (its schema's maxLength)


def intended_answer(text: UserText) -> str:
    """What the scripted question writer gives as the answer it writes for: the first 8 words of the
    sentence it was given (when none, of the passage's sentence that shares most words with the topic)."""
    sentence = text.inputs.get("sentence", "")
    if not sentence or sentence.startswith("("):
        _, words = answering_sentence(text.inputs.get("passage", ""), text.inputs.get("interest", ""))
        return (words or "scripted answer")[:100]
    return " ".join(sentence.split()[:8])[:100]  # a real writer's answer is bounded (its schema's maxLength)


def points_of_interest(topics: Sequence[Any], text: UserText, schema: dict) -> list[dict]:
    """Scripted interests as the interests call answers them. A topic string cites the first sentence the
    request allows that mentions it (`generation.grounded`), else the first allowed one no earlier topic
    cites (else the first allowed), and is sent as that sentence's phrase equal to it, else the longest
    phrase it holds, else the sentence's first phrase (the schema allows only those); a dict is sent as
    it is."""
    from personaqa.programs.recipe.generation import grounded

    items = schema["properties"]["interests"]["items"]
    refs = [alt["$ref"] for alt in items.get("anyOf", [items])]
    offered: dict[int, list[str]] = {}
    for ref in refs:
        point = schema["$defs"][ref.rsplit("/", 1)[-1]]["properties"]
        sentence, topic = point["sentence"], point["topic"]
        number = (
            sentence["enum"][0] if "enum" in sentence else sentence.get("const", 1)
        )  # bare signature: any
        offered[number] = (
            list(topic["enum"]) if "enum" in topic else [topic["const"]] if "const" in topic else []
        )
    allowed = list(offered)
    lines = {
        int(m.group(1)): m.group(2).lower()
        for m in re.finditer(r"^\[(\d+)\] (.*)$", text.inputs.get("passage", ""), re.MULTILINE)
    }
    points: list[dict] = []
    for topic in topics:
        if isinstance(topic, dict):
            points.append(topic)
            continue
        used = {p["sentence"] for p in points}
        mentions = [n for n in allowed if grounded(topic, lines.get(n, ""))]
        free = [n for n in allowed if n not in used] or allowed
        number = (mentions or free)[0]
        phrases = offered[number]
        same = [p for p in phrases if p.lower() == topic.lower()]
        inside = sorted((p for p in phrases if p.lower() in topic.lower()), key=len, reverse=True)
        points.append({"sentence": number, "topic": (same or inside or phrases or [topic])[0]})
    return points


def _message_text(message: Any) -> str:
    return "".join(getattr(part, "text", "") or "" for part in message.parts)


def request_key(request: Any) -> str:
    """Which kind of call a request is, from the output fields of its response schema."""
    fmt = request.config.response_format
    if not fmt or fmt.get("type") != "json_schema":
        raise AssertionError(f"expected a json_schema response_format, got {fmt!r}")
    properties = fmt["schema"]["properties"]
    names = set(properties)
    if names == {"reason", "verdict", "single_passage"}:
        return "complex_relevance"
    if names == {"sentences", "answer", "verdict"}:
        return "relevance"
    if names == {"reason", "verdict"}:
        allowed = set(properties["verdict"].get("enum", ()))
        if "insightful" in allowed:
            return "generality"
        raise AssertionError(f"unknown verdict enum {allowed}")
    if names == {"length", "tone", "wording"}:
        return "writing_style"
    if names == {"answer", "question"}:
        return "question"
    if len(names) == 1:
        (name,) = names
        if name in STAGE_OF_KEY:
            return name
    raise AssertionError(f"unknown output fields {sorted(names)}")


class ScriptedEngine:
    """dspy engine whose replies are scripted per output-field set; counts calls and tokens."""

    supports_response_schema = True
    supported_params = frozenset({"response_format", "temperature", "max_tokens", "seed"})

    def __init__(
        self,
        answers: dict[str, Any] | None = None,
        input_tokens: int = 11,
        output_tokens: int = 7,
        name: str = "fake",
    ):
        unknown = set(answers or {}) - set(STAGE_OF_KEY)
        if unknown:
            raise ValueError(f"unknown answer keys {unknown}")
        self.answers: dict[str, Any] = {**DEFAULT_ANSWERS, **(answers or {})}
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.name = name
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, UserText, Any]] = []  # (key, user text, request)
        self._lock = threading.Lock()

    # -- configuration ------------------------------------------------------------------------

    def set(self, key: str, answer: Any) -> None:
        if key not in STAGE_OF_KEY:
            raise ValueError(f"unknown answer key {key!r}")
        self.answers[key] = answer

    def fail(
        self, key: str, mode: str = "invalid_json", when: Callable[[UserText], bool] | None = None
    ) -> None:
        """Make calls of `key` (optionally only those where `when(text)`) fail.

        mode "invalid_json": the reply is not JSON; mode "raise": the engine raises RuntimeError."""
        if mode not in ("invalid_json", "raise"):
            raise ValueError(f"unknown failure mode {mode!r}")
        error = RuntimeError(f"scripted failure in {key}")
        failure = INVALID_JSON if mode == "invalid_json" else Raise(error)
        previous = self.answers[key]

        def answer(text: UserText) -> Any:
            if when is None or when(text):
                return failure
            return previous(text) if callable(previous) else previous

        self.answers[key] = answer

    # -- inspection ---------------------------------------------------------------------------

    def calls_by_stage(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for key, count in self.calls.items():
            out[STAGE_OF_KEY[key]] += count
        return out

    def texts(self, key: str) -> list[UserText]:
        return [text for k, text, _ in self.requests if k == key]

    def schema(self, key: str) -> dict:
        """The response schema of the last request of kind `key`."""
        for k, _, request in reversed(self.requests):
            if k == key:
                return request.config.response_format["schema"]
        raise KeyError(key)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    # -- engine protocol ----------------------------------------------------------------------

    def complete(self, request: Any) -> Response:
        key = request_key(request)
        user = [m for m in request.messages if m.role == "user"]
        text = UserText(_message_text(user[-1]) if user else "")
        with self._lock:
            self.calls[key] += 1
            self.requests.append((key, text, request))
        answer = self.answers[key]
        if callable(answer):
            answer = answer(text)
        if isinstance(answer, Raise):
            raise answer.exc
        if answer is INVALID_JSON:
            body = "Sure! Here are my thoughts, but not as JSON {"
        else:
            body = json.dumps(self._payload(key, answer, text, request))
        return Response(
            id=None,
            model=self.name,
            message=Message.assistant([TextPart(body)]),
            finish_reason="stop",
            usage=Usage(input_tokens=self.input_tokens, output_tokens=self.output_tokens),
        )

    @staticmethod
    def _payload(key: str, answer: Any, text: UserText, request: Any = None) -> dict:
        if isinstance(answer, dict):
            return answer
        if key == "interests":
            return {"interests": points_of_interest(answer, text, request.config.response_format["schema"])}
        if key == "question":  # a question string: written for its sentence's first words (intended_answer)
            return {"answer": intended_answer(text), "question": answer}
        if (
            key == "relevance"
        ):  # verdict or (verdict, answer): cites sentence 1; a "fully" answer is its first
            # 8 words (what the evidence check accepts; fewer could all be the question's words, no answer);
            # a dict scripts every field
            verdict, said = (answer, "") if isinstance(answer, str) else answer
            cite = 1
            if verdict == "fully":
                cite, said = answering_sentence(
                    text.inputs.get("passage", ""), text.inputs.get("question", "")
                )
            return {"sentences": [cite], "answer": said or f"scripted {verdict}", "verdict": verdict}
        if key == "generality":
            verdict, reason = (answer, f"scripted {answer}") if isinstance(answer, str) else answer
            return {"reason": reason, "verdict": verdict}
        if key == "complex_relevance":
            verdict, reason, single_passage = answer
            return {"reason": reason, "verdict": verdict, "single_passage": single_passage}
        return {key: answer}

    def stream(self, request: Any) -> Iterable:
        return response_to_events(self.complete(request))

    def close(self) -> None:
        pass


class BagOfWordsEmbedder:
    """Fast deterministic stand-in for MiniLM: hashed bag of lower-cased words, unit-normalised.

    Identical wordings have cosine 1.0; texts sharing no word have cosine 0.0. No paraphrase sense.
    """

    def __init__(self, dim: int = 512):
        self.dim = dim
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower()) or ["<empty>"]
            for word in words:
                out[row, zlib.crc32(word.encode()) % self.dim] += 1.0
            out[row] /= np.linalg.norm(out[row])
        return out


class CachingEmbedder:
    """Wraps a real embedder and memoises vectors per text (same vectors, fewer slow model calls)."""

    def __init__(self, inner: Any):
        self.inner = inner
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self.inner.encode(missing)):
                self._cache[text] = vector
        if not texts:
            return self.inner.encode([])
        return np.stack([self._cache[t] for t in texts])


def make_lm(engine: ScriptedEngine, name: str = "fake-model") -> dspy.LM:
    return dspy.LM(name, engine=engine, cache=False, num_retries=0)


@contextmanager
def lm_context(lm: dspy.LM) -> Iterator[None]:
    with dspy.context(lm=lm, adapter=BoundedJSONAdapter()):
        yield


def build_program(
    embedder: Any,
    question_types: dict[str, str] | None = None,
    judge_lm: dspy.LM | None = None,
    **settings: Any,
):
    """SyntheticEvalProgram with the given settings (ProgramSettings fields as keywords)."""
    from personaqa.programs.recipe.pipeline import ProgramSettings, SyntheticEvalProgram

    return SyntheticEvalProgram(embedder, question_types, ProgramSettings(**settings), judge_lm)


def run_program(
    program: Any, engine: ScriptedEngine, chunk: Any, persona: Any, **kwargs: Any
) -> dspy.Prediction:
    """Run the program on one (chunk, persona) under the fake LM and the bounded JSON adapter."""
    with lm_context(make_lm(engine)):
        return program(chunk=chunk, persona=persona, **kwargs)


# Where a generate run builds its LMs and loads its embedder: a test swaps them in every one of these modules.
LM_BUILDERS = (
    "personaqa.programs.recipe.build",
    "personaqa.programs.run.units",
    "personaqa.programs.run.finalise",
)
EMBEDDER_LOADERS = (
    "personaqa.programs.recipe.build",
    "personaqa.programs.run.plan",
    "personaqa.programs.run.estimate",
    "personaqa.programs.run.finalise",
)


def patch_run_lms(monkeypatch: Any, build_lm: Callable[..., Any]) -> None:
    """A generate run (and `build_program`) builds its task and judge LMs with `build_lm` (pooled judging on a
    finished run too)."""
    for module in LM_BUILDERS:
        monkeypatch.setattr(f"{module}.build_lm", build_lm)


def patch_run_embedder(monkeypatch: Any, load_embedder: Callable[[str], Any]) -> None:
    """A generate run (and `build_program`) loads its embedder with `load_embedder`."""
    for module in EMBEDDER_LOADERS:
        monkeypatch.setattr(f"{module}.load_embedder", load_embedder)
