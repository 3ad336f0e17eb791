"""A fake OpenAI-compatible chat endpoint on loopback, for tests and benchmarks.

It answers /v1/chat/completions with JSON that fits the request's schema (or, without a schema,
the fields the DSPy prompt asks for), after a fixed latency, and can inject faults: HTTP errors
with Retry-After, timeouts, truncated or malformed answers, or dying after N calls."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from fakes import answering_sentence, numbered_sentences

_FIELDS = re.compile(r"`(\w+)`(?: \(must be formatted as a valid Python ([^)]*)\))?")
_ENUMS = {"verdict": ["fully", "insightful"], "answerable": ["yes"], "rating": ["good", "faithful"]}


@dataclass
class Faults:
    """What the endpoint does wrong: each list holds 1-based call numbers (or use `every_call`)."""

    status: dict[int, int] = field(default_factory=dict)  # call -> HTTP status (429 gets Retry-After: 0)
    hang: set[int] = field(default_factory=set)  # calls that sleep past any client timeout
    truncated: set[int] = field(default_factory=set)  # finish_reason=length with cut JSON
    malformed: set[int] = field(default_factory=set)  # not JSON at all
    die_after: int | None = None  # close every connection after this many calls
    every_call_status: int | None = None


def _words(seed: str, n: int) -> str:
    vocab = [
        "filter",
        "merger",
        "deadline",
        "allowance",
        "sensor",
        "warranty",
        "ports",
        "fee",
        "policy",
        "remote",
    ]
    digest = hashlib.sha256(seed.encode()).digest()
    return " ".join(vocab[b % len(vocab)] for b in digest[:n])


def instance(schema: dict[str, Any], seed: str, root: dict[str, Any] | None = None, name: str = "") -> Any:
    """A small value valid against `schema` (objects, arrays, strings, enums, numbers, $ref)."""
    root = root or schema
    if "$ref" in schema:
        ref = schema["$ref"].split("/")[-1]
        return instance(root.get("$defs", {}).get(ref, {}), seed, root, name)
    if "anyOf" in schema:  # a list item takes the alternative of its index (points of interest)
        last = seed.rsplit("/", 1)[-1]
        index = int(last) if last.isdigit() else 0
        return instance(schema["anyOf"][index % len(schema["anyOf"])], seed, root, name)
    if "enum" in schema:  # the item's index spreads list items over the choices (points of interest)
        parts = seed.split("/")  # .../<item index>/sentence
        index = int(parts[-2]) if name == "sentence" and len(parts) > 1 and parts[-2].isdigit() else 0
        if name == "topic":  # a topic names something: its first choice with a word of 4+ letters
            return next((v for v in schema["enum"] if re.search(r"[^\W\d_]{4,}", str(v))), schema["enum"][0])
        return schema["enum"][index % len(schema["enum"])]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        return {k: instance(v, f"{seed}/{k}", root, k) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        count = max(min(2, schema.get("maxItems", 2)), schema.get("minItems", 0))
        items = [instance(schema.get("items", {}), f"{seed}/{i}", root, name) for i in range(count)]
        for number, item in enumerate(items, start=1):
            if isinstance(item, dict) and "number" in item:
                item["number"] = number  # batched answers are numbered 1..n
        return items
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    text = _words(seed, 4)
    if "question" in name:
        text = f"What is the {text} of Harbor Analytics?"
    return text[: schema.get("maxLength", 200)]


def answer_without_schema(prompt: str, seed: str) -> dict[str, Any]:
    """Fields named in DSPy's 'Respond with a JSON object ...' line, filled plausibly."""
    line = next((l for l in reversed(prompt.splitlines()) if "Respond with" in l), "")
    out: dict[str, Any] = {}
    for name, type_hint in _FIELDS.findall(line):
        if name in _ENUMS:
            out[name] = _ENUMS[name][0]
        elif name == "interests":  # points of interest: askable sentences (no heading), the topic set later
            found = _PASSAGE.findall(prompt)
            numbers = [
                int(m.group(1))
                for m in re.finditer(r"^\[(\d+)\] (?!#)(\S+ ){3}", found[-1] if found else "", re.MULTILINE)
            ] or [1]
            out[name] = [
                {"sentence": n, "topic": _words(seed + name + str(i), 1)} for i, n in enumerate(numbers[:2])
            ]
        elif type_hint.startswith("list"):
            out[name] = [_words(seed + name + str(i), 3) for i in range(2)]
            if name == "question_types":
                out[name] = ["extractive", "comparative"]
        elif "question" in name:
            out[name] = f"What is the {_words(seed + name, 4)} of Harbor Analytics?"
        else:
            out[name] = _words(seed + name, 6)
    return out


_PASSAGE = re.compile(r"\[\[ ## passage ## \]\]\n(.*?)(?:\n\n\[\[ ## |\Z)", re.DOTALL)
_SENTENCE = re.compile(r"\[\[ ## sentence ## \]\]\n(.*?)(?:\n\n|\Z)", re.DOTALL)
_QUESTIONS = re.compile(r"\[\[ ## questions ## \]\]\n(.*?)(?:\n\n|\Z)", re.DOTALL)
_QUESTION = re.compile(r"\[\[ ## question ## \]\]\n(.*?)(?:\n\n|\Z)", re.DOTALL)  # one paragraph


def _anchored(asked: str, title: str) -> str:
    """The question, naming its document's title only where it names nothing of it (as a writer told to
    name the subject would)."""
    from personaqa.programs.recipe.checks.question_form import unanchored

    return f"{asked}?" if not unanchored(f"{asked}?", title) else f"{asked} in {title}?"


def quote_passage(answer: Any, prompt: str, schema_made: bool = False) -> Any:
    """A relevance answer (at any depth) cites a sentence of a numbered passage and answers with its first
    words, as a judge would (`fakes.answering_sentence`: not a title that only repeats the question), and
    `interests` are words of the passage (personaqa drops interests the passage does not mention)."""
    if isinstance(answer, dict) and set(answer) == {"styled_question"}:  # a rewrite keeps what is asked
        asked = (_QUESTION.findall(prompt) or [""])[-1].strip()
        return {"styled_question": f"Please tell me: {asked}" if asked else answer["styled_question"]}
    found = _PASSAGE.findall(prompt)
    if not found:
        return answer
    line = next((l for l in reversed(found[-1].splitlines()) if l.strip()), "")
    if isinstance(answer, dict):
        words = list(dict.fromkeys(w for w in re.findall(r"[^\W\d_]{5,}", found[-1])))
        points = answer.get("interests") or []
        numbered = numbered_sentences(found[-1])

        def word_of(point: dict, fallback: str) -> str:  # a topic is a phrase of its own sentence
            from personaqa.programs.recipe.phrases import sentence_phrases

            own = [
                p
                for p in sentence_phrases(numbered.get(point.get("sentence"), ""))
                if re.fullmatch(r"[^\W\d_]{5,}", p)
            ]
            return own[0] if own else fallback

        topics = [
            {**point, "topic": point["topic"] if schema_made else word_of(point, word)}
            if isinstance(point, dict)
            else word
            for point, word in zip(points, words)
        ] or points
        if {"answer", "question"} <= set(answer) and "sentences" not in answer:  # the writer, answer first
            sentence = (_SENTENCE.findall(prompt) or [""])[-1].split() or line.split()
            # the document's title (the passage's first line unless numbered): a searcher names the subject
            first = found[-1].strip().splitlines()[0] if found[-1].strip() else ""
            title = "the report" if first.startswith("[") else re.sub(r"[?\"\\]", "", first.lstrip("# "))[:40]
            # each persona asks in its own words (the last three of its description), as different people do
            persona = (re.findall(r"\[\[ ## persona ## \]\]\n(.*?)(?:\n\n|\Z)", prompt, re.DOTALL) or [""])[
                -1
            ]
            name, _, description = persona.partition(": ")
            named = {w.lower() for w in re.findall(r"[^\W_]+", name)}
            tail = [w for w in re.findall(r"[^\W_]+", description) if w.lower() not in named][-3:]
            asker = f", regarding {' '.join(tail)}" if tail else ""
            if sentence and sentence[0].startswith("("):  # an interest given by hand: no sentence of its own
                interest = (
                    re.findall(r"\[\[ ## interest ## \]\]\n(.*?)(?:\n\n|\Z)", prompt, re.DOTALL) or [""]
                )[-1]
                sentence = answering_sentence(found[-1], interest)[1].split()
            return {
                **answer,
                "answer": " ".join(sentence[:8])[:100],
                "question": _anchored(
                    f"What do we know about {' '.join(w.strip(',.;:')[:20] for w in sentence[:4])}{asker}",
                    title,
                ),
            }
        cited = "sentences" in answer
        asked = (_QUESTION.findall(prompt) or [""])[-1]  # the last: the system message shows "{question}"
        if "number" in answer:  # a batched verdict: the numbered question it is about
            listed = dict(
                re.findall(r"^(\d+)\. (.*)$", (_QUESTIONS.findall(prompt) or [""])[-1], re.MULTILINE)
            )
            asked = listed.get(str(answer["number"]), asked)
        number, said = answering_sentence(found[-1], asked) if cited else (1, "")
        return {
            k: [number]
            if k == "sentences"
            else said or line
            if (cited and k == "answer")
            else topics
            if k == "interests"
            else quote_passage(v, prompt, schema_made)
            for k, v in answer.items()
        }
    if isinstance(answer, list):
        return [quote_passage(item, prompt, schema_made) for item in answer]
    return answer


class FakeEndpoint:
    """Start with `with FakeEndpoint(latency=0.05) as ep: ep.base_url`."""

    def __init__(self, latency: float = 0.0, faults: Faults | None = None, schema_form: str = "any"):
        self.latency = latency
        self.faults = faults or Faults()
        # "any"; "json_object_only": 500 on {"type": "json_schema"} (llama.cpp's server); "plain_only": 400 on
        # any response_format
        self.schema_form = schema_form
        self.calls = 0
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> Self:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Head and body go out as two writes; with Nagle on, the body waits ~40 ms for the client's
            # delayed ACK, which would be billed to personaqa as overhead. Real servers set TCP_NODELAY too.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                endpoint._handle(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, client_address: None  # a client that hung up: no noise
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _send(
        self, handler: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict | None = None
    ) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _handle(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        with self._lock:
            self.calls += 1
            call = self.calls
            self.requests.append(body)
        f = self.faults
        if f.die_after is not None and call > f.die_after:
            handler.close_connection = True
            handler.connection.close()
            return
        if call in f.hang:
            time.sleep(30)
        time.sleep(self.latency)
        status = f.status.get(call) or f.every_call_status
        if status:
            headers = {"Retry-After": "0"} if status == 429 else {}
            self._send(
                handler, status, {"error": {"message": f"injected {status}", "type": "server_error"}}, headers
            )
            return
        fmt = body.get("response_format") or {}
        if self.schema_form == "json_object_only" and fmt.get("type") == "json_schema":
            self._send(handler, 500, {"error": {"message": "json_schema not supported"}})
            return
        if self.schema_form == "plain_only" and fmt:
            self._send(
                handler,
                400,
                {"error": {"message": "response_format not supported", "type": "invalid_request"}},
            )
            return
        messages = body.get("messages", [])
        prompt = "\n".join(str(m.get("content", "")) for m in messages)
        seed = hashlib.sha256(prompt.encode()).hexdigest()
        schema = (fmt.get("json_schema") or {}).get("schema") or fmt.get("schema")
        content = json.dumps(
            quote_passage(
                instance(schema, seed) if schema else answer_without_schema(prompt, seed),
                prompt,
                schema_made=bool(schema),
            )
        )
        finish = "stop"
        if call in f.truncated:
            content, finish = content[: len(content) // 2], "length"
        if call in f.malformed:
            content = "Sure! Here is my answer: {not json"
        self._send(
            handler,
            200,
            {
                "id": f"chatcmpl-{call}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": finish,
                    }
                ],
                "usage": {
                    "prompt_tokens": len(prompt) // 4,
                    "completion_tokens": len(content) // 4,
                    "total_tokens": (len(prompt) + len(content)) // 4,
                },
            },
        )
