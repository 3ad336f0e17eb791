"""Speed and scale benchmark for `personaqa generate`. Prints its figures; nothing here is a test.

1. A fake OpenAI-compatible endpoint (own process, loopback) with a fixed latency per call, which
   isolates personaqa's own overhead: questions/min at 1..32 workers, speed-up over 1 worker, and
   the share of wall time spent outside LM calls (1 - ideal / actual, ideal = requests x latency / workers,
   requests = the run's LM calls plus its start-up probe of the endpoint's structured-output form),
   both over the whole process and over the run itself (process wall minus start-up: imports, embedder
   and LM set-up, which do not grow with the corpus).
2. llama.cpp's own server (llama-cpp-python[server]) serving the embedded SmolLM2 GGUF: questions/min
   at 1, 2, 4 workers.
3. LM calls and tokens per accepted question, per-question vs batched filters, on the embedded
   model over the sample, with the agreement of the batched relevance verdicts with the per-question ones.
4. Peak RSS and wall time for the sample corpus and for it 4x larger (fake endpoint).
5. Resume: a run killed (SIGKILL) mid-way, then rerun: LM requests repeated from the first run.

Section 1 reads distinct documents: 4 CISI abstracts per worker (`../shared/data/cisi`, with the CISI
personas, which give no example questions, so no unit is passed by the stake gate), else copies of the sample.
With --write FILE it replaces the section between `<!-- benchmark_speed -->` and `<!-- /benchmark_speed -->`
of FILE (docs/BENCHMARKS.md) with its table, date, settings and commit.

Usage: python experiments/benchmark_speed.py [--latency 1.0] [--workers 1,2,4,8,16,32] [--sections 1,2,3,4,5]
       [--write docs/BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
SAMPLE = ROOT / "programs" / "sample"
CISI = ROOT.parent / "shared" / "data" / "cisi"
CISI_PERSONAS = ROOT / "experiments" / "cisi_personas.yaml"
SECTION = re.compile(r"(<!-- benchmark_speed -->\n).*?(<!-- /benchmark_speed -->)", re.DOTALL)
PERSONAQA = [sys.executable, "-m", "personaqa.programs.cli"]


def serve_fake(port_queue, latency: float, log_path: str | None, requests) -> None:
    """Child process: a fake endpoint that counts requests in `requests` (a shared integer) and appends
    the messages of each answered request to `log_path` (one JSON per line)."""
    from fake_endpoint import FakeEndpoint

    with FakeEndpoint(latency=latency) as endpoint:
        original = endpoint._handle

        def counted(handler, body):
            with requests.get_lock():
                requests.value += 1
            original(handler, body)
            if log_path:  # answered: a call cut off by a kill while the server still "thinks" is not logged
                with open(log_path, "a") as log:
                    log.write(json.dumps(body.get("messages"), sort_keys=True) + "\n")

        endpoint._handle = counted
        port_queue.put(endpoint.base_url)
        while True:
            time.sleep(3600)


class FakeServer:
    """`with FakeServer(latency) as server:` server.url, and server.requests() answered so far."""

    def __init__(self, latency: float, log_path: str | None = None):
        self.latency, self.log_path = latency, log_path
        self.counter = multiprocessing.Value("i", 0)

    def __enter__(self) -> Self:
        queue = multiprocessing.Queue()
        self.process = multiprocessing.Process(
            target=serve_fake, args=(queue, self.latency, self.log_path, self.counter), daemon=True
        )
        self.process.start()
        self.url = queue.get(timeout=30)
        return self

    def requests(self) -> int:
        return self.counter.value

    def __exit__(self, *exc) -> None:
        self.process.kill()
        self.process.join()


def corpus(folder: Path, copies: int) -> Path:
    """The sample documents, repeated `copies` times under new ids (distinct text, distinct chunks)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(copies):
        for doc in sorted((SAMPLE / "docs").glob("*.md")):
            # a distinct last line per copy, so copies are different prompts (no LM-cache hits between them)
            (folder / f"{doc.stem}-{i:03d}.md").write_text(
                f"{doc.read_text()}\nFiled as record {i} of {copies}.\n"
            )
    return folder


def distinct_corpus(folder: Path, count: int) -> tuple[Path, list[str]]:
    """`count` distinct documents and the personas to read them: the first CISI abstracts of 400-1400
    characters (one chunk each) with the CISI personas, or, without the CISI data, copies of the sample."""
    if not (CISI / "corpus.jsonl").exists():
        print(f"(no {CISI / 'corpus.jsonl'}: copies of the sample documents instead)", file=sys.stderr)
        return corpus(folder, max(1, count // 4)), []
    folder.mkdir(parents=True, exist_ok=True)
    chosen = []
    with (CISI / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            if 400 <= len(doc["text"]) <= 1400:
                chosen.append({"id": f"cisi-{doc['_id']}", "title": doc["title"], "text": doc["text"]})
            if len(chosen) == count:
                break
    path = folder / "cisi.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in chosen), encoding="utf-8")
    return path, ["--personas", str(CISI_PERSONAS)]


def generate_measured(out: Path, docs: Path, extra: list[str], config: str = "") -> tuple[dict, float, int]:
    """Run `personaqa generate` in a subprocess: run.json, wall seconds and the child's peak RSS (KiB)."""
    args = [
        *PERSONAQA,
        "generate",
        "--docs",
        str(docs),
        "--out",
        str(out),
        "--quiet",
        "--no-mlflow",
        "--overwrite",
        *extra,
    ]
    if config:
        path = out.parent / f"{out.name}.yaml"
        path.write_text(config)
        args += ["--config", str(path)]
    start = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, rusage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) not in (0, 4):  # 4: finished, kept nothing (a figure here too)
        raise SystemExit(f"generate failed in {out}")
    return json.loads((out / "run.json").read_text()), wall, rusage.ru_maxrss


def section_workers(tmp: Path, latency: float, workers: list[int]) -> str:
    """Print the table, and return it as markdown."""
    print(f"\n== 1. fake endpoint, {latency:.2f}s latency per call (ideal speed-up = workers)")
    print(
        f"{'workers':>7} {'units':>5} {'calls':>6} {'requests':>8} {'questions':>9} {'wall s':>7} "
        f"{'start-up s':>10} {'q/min':>7} {'speed-up':>8} {'outside LM':>10} {'outside LM in run':>17}"
    )
    header = (
        "| workers | units | requests | questions | wall s | start-up s | ideal s | outside LM "
        "| outside LM in run | speed-up (LM time / wall) | q/min |"
    )
    rows = [header, "|---|---|---|---|---|---|---|---|---|---|---|"]
    base_rate = None
    with FakeServer(latency) as server:
        for w in workers:
            docs, personas = distinct_corpus(tmp / f"docs_w{w}", 4 * max(1, w))  # 12 units per worker
            before = server.requests()
            run, wall, _ = generate_measured(
                tmp / f"w{w}",
                docs,
                ["--lm", "openai/fake", "--api-base", server.url, "--workers", str(w), *personas],
            )
            calls = run["lm_usage_total"]["calls"]
            requests = server.requests() - before  # the calls, plus the start-up probe of the endpoint's form
            questions = run["counts"]["kept"]
            rate = questions / wall * 60
            base_rate = base_rate or rate
            ideal = requests * latency / w
            in_run = run["wall_seconds_this_session"]
            print(
                f"{w:>7} {run['counts']['units']:>5} {calls:>6} {requests:>8} {questions:>9} {wall:>7.1f} "
                f"{wall - in_run:>10.1f} "
                f"{rate:>7.1f} {rate / base_rate:>8.2f} {max(0.0, 1 - ideal / wall):>10.1%} "
                f"{max(0.0, 1 - ideal / in_run):>17.1%}"
            )
            rows.append(
                f"| {w} | {run['counts']['units']} | {requests:,} | {questions} | {wall:.1f} | "
                f"{wall - in_run:.1f} | {ideal:.1f} | {max(0.0, 1 - ideal / wall):.1%} | "
                f"{max(0.0, 1 - ideal / in_run):.1%} | {requests * latency / wall:.1f} | {rate:.1f} |"
            )
    return "\n".join(rows)


def write_section(path: Path, table: str, latency: float, workers: list[int]) -> None:
    """Replace the benchmark_speed section of `path` with the table, its date, settings and commit."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    source = "CISI abstracts (4 per worker) with experiments/cisi_personas.yaml"
    if not (CISI / "corpus.jsonl").exists():
        source = "copies of the sample documents"
    text = (
        f"Written {datetime.date.today().isoformat()} by `python experiments/benchmark_speed.py --sections 1 "
        f"--latency {latency} --workers {','.join(map(str, workers))} --write {path.name}` (commit {commit}, "
        f"{os.cpu_count()} CPU cores): a fake OpenAI-compatible endpoint on loopback answering each call "
        f"after {latency} s; {source}, default settings. *requests*: LM calls plus the start-up probe; "
        f"*ideal*: requests × {latency} s / workers; *outside LM*: 1 − ideal / wall (the process), "
        "*in run*: the same without start-up (imports, embedder, LM set-up); "
        f"*speed-up*: requests × {latency} s / wall, the workers' worth of LM time the run kept busy.\n\n"
        f"{table}\n"
    )
    document = path.read_text(encoding="utf-8")
    if not SECTION.search(document):
        raise SystemExit(f"{path}: no <!-- benchmark_speed --> section to replace")
    path.write_text(SECTION.sub(lambda m: m[1] + text + m[2], document), encoding="utf-8")
    print(f"wrote the benchmark_speed section of {path}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def section_llama_server(tmp: Path) -> None:
    from personaqa.programs.lm.embedded_models import EMBEDDED_MODELS, model_path

    print("\n== 2. llama.cpp server (llama-cpp-python[server]) with the embedded SmolLM2 GGUF")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model_path(EMBEDDED_MODELS["smollm2-135m"])),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--n_ctx",
            "4096",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        # the server's default repeat_penalty (1.1) differs from the in-process model's (1.0): sample alike
        config = (
            "max_interests: 1\nmax_types_per_interest: 1\nlm:\n  max_tokens: 128\n"
            "  extra_body: {repeat_penalty: 1.0}\n"
        )
        print(
            f"{'workers':>7} {'calls':>6} {'questions':>9} {'wall s':>7} {'calls/min':>9} {'q/min':>7}  "
            f"structured output"
        )
        for w in (1, 2, 4):
            run, wall, _ = generate_measured(
                tmp / f"llama_w{w}",
                SAMPLE / "docs",
                ["--lm", "openai/smollm2", "--api-base", f"http://127.0.0.1:{port}/v1", "--workers", str(w)],
                config,
            )
            calls = run["lm_usage_total"]["calls"]
            print(
                f"{w:>7} {calls:>6} {run['counts']['kept']:>9} {wall:>7.1f} {calls / wall * 60:>9.1f} "
                f"{run['counts']['kept'] / wall * 60:>7.1f}  {run['lm_structured_output']}"
            )
    finally:
        server.terminate()
        server.wait()


def verdicts(out: Path) -> dict[str, str]:
    found = {}
    for name in ("questions.jsonl", "rejected.jsonl"):
        for line in (out / name).read_text().splitlines():
            row = json.loads(line)
            if row.get("relevance"):
                found[row["question_id"]] = row["relevance"]["label"]
    return found


def section_batched(tmp: Path) -> None:
    print("\n== 3. per-question vs batched filters, embedded SmolLM2, the sample (4 chunks), 3 personas")
    print(
        f"{'mode':>12} {'filter calls':>12} {'filter tokens':>13} {'kept':>5} {'calls/kept':>10} "
        f"{'tokens/kept':>11} {'wall s':>7}"
    )
    results = {}
    for mode, batched in (("per-question", "false"), ("batched", "true")):
        out = tmp / f"embedded_{mode}"
        run, wall, _ = generate_measured(
            out,
            SAMPLE / "docs",
            ["--lm", "embedded:smollm2-135m"],
            f"batched_filters: {batched}\nmax_interests: 2\n",
        )
        usage = run["lm_usage"]
        filters = [
            usage.get(s, {"calls": 0, "input_tokens": 0, "output_tokens": 0})
            for s in ("relevance", "generality")
        ]
        calls = sum(f["calls"] for f in filters)
        tokens = sum(f["input_tokens"] + f["output_tokens"] for f in filters)
        print(
            f"{mode:>12} {calls:>12} {tokens:>13} {run['counts']['kept']:>5} "
            f"{run['lm_calls_per_kept_question']:>10} {run['tokens_per_kept_question']:>11} {wall:>7.1f}"
        )
        results[mode] = verdicts(out)
    shared = set(results["per-question"]) & set(results["batched"])
    agree = sum(results["per-question"][q] == results["batched"][q] for q in shared)
    print(
        f"relevance verdicts on the same candidates: {agree}/{len(shared)} agree "
        f"({agree / max(1, len(shared)):.0%}); per-question keeps "
        f"{sum(v == 'fully' for v in results['per-question'].values())}, batched keeps "
        f"{sum(v == 'fully' for v in results['batched'].values())}"
    )


def section_memory(tmp: Path) -> None:
    print("\n== 4. peak RSS and wall time, fake endpoint (0.01s latency), sample vs 4x sample")
    with FakeServer(0.01) as server:
        rows = []
        for copies in (1, 4):
            docs = corpus(tmp / f"mem_docs_{copies}", copies)
            run, wall, rss = generate_measured(
                tmp / f"mem_{copies}",
                docs,
                ["--lm", "openai/fake", "--api-base", server.url, "--workers", "4"],
            )
            rows.append((copies, run["counts"]["units"], wall, rss / 1024))
        for copies, units, wall, rss in rows:
            print(f"{copies}x corpus: {units:>3} units, wall {wall:6.1f}s, peak RSS {rss:7.1f} MiB")
        print(f"peak RSS 4x / 1x = {rows[1][3] / rows[0][3]:.3f}")


def section_resume(tmp: Path) -> None:
    print("\n== 5. resume after SIGKILL (fake endpoint, 0.05s latency)")
    log = tmp / "requests.log"
    docs = corpus(tmp / "resume_docs", 2)
    out = tmp / "resume"
    with FakeServer(0.05, str(log)) as server:
        args = [
            *PERSONAQA,
            "generate",
            "--docs",
            str(docs),
            "--out",
            str(out),
            "--quiet",
            "--no-mlflow",
            "--lm",
            "openai/fake",
            "--api-base",
            server.url,
        ]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        units = out / ".personaqa" / "units.jsonl"
        while not (units.exists() and len(units.read_text().splitlines()) >= 6):
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(0.2)  # the server finishes the call that was in flight (and logs it) before we read
        first = log.read_text().splitlines()
        done = len(units.read_text().splitlines())
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        second = log.read_text().splitlines()[len(first) :]
    probe = {line for line in first if "## request ## ]]\\nping" in line}  # the probe's one input field
    earlier = set(first[:-1]) - probe
    # One worker: at most one call is in flight at the kill, the last one the server answered. If the kill
    # landed after the server answered it but before the client recorded the answer, the rerun asks again.
    in_flight = sum(1 for line in second if line == first[-1] and line not in earlier)
    repeated = sum(1 for line in second if line in earlier)
    print(
        f"killed after {done} finished units and {len(first)} answered requests; the rerun sent "
        f"{len(second)} requests: {repeated} repeats of work the killed run had finished, {in_flight} repeat "
        f"of the call in flight at the kill (the start-up probe excluded: {len(probe)} per run)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--workers", default="1,2,4,8,16,32")
    parser.add_argument("--sections", default="1,2,3,4,5")
    parser.add_argument("--write", type=Path, help="markdown file whose benchmark_speed section to replace")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    tmp = Path(tempfile.mkdtemp(prefix="personaqa-bench-"))
    started = time.monotonic()
    try:
        if "1" in sections:
            workers = [int(w) for w in args.workers.split(",")]
            table = section_workers(tmp, args.latency, workers)
            if args.write:
                write_section(args.write, table, args.latency, workers)
        if "2" in sections:
            section_llama_server(tmp)
        if "3" in sections:
            section_batched(tmp)
        if "4" in sections:
            section_memory(tmp)
        if "5" in sections:
            section_resume(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nbenchmark wall time: {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
