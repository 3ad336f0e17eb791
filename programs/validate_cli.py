"""`personaqa validate`: does a synthetic set rank retrievers the way human queries do?

Takes a human-judged BEIR collection, samples documents from it (seeded; documents relevant
to at least one human query first), runs personaqa generation on them, then scores a panel
of retrievers twice on the same, full corpus: with the human queries and with the synthetic
questions. Reports both rankings side by side, Kendall's tau and Spearman's rho between
them with a bootstrap 95 % interval over the synthetic questions, the human split-half baseline
(tau between two random halves of the human queries), and a diagnosis of how the two query sets
differ (`programs.diagnosis`).

The two sides are made comparable like this: both search the FULL human corpus (documents,
not chunks); a human query's relevant documents are its qrels, and a synthetic question's
relevant document is the source document (`doc_id`) of the chunk it was written from (for a
multi-chunk question, the documents of all its chunks).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from personaqa.optimize.tracking_log import LateLog
from personaqa.programs.atomic import atomic_write, write_json, write_jsonl
from personaqa.programs.beir import CORPUS_FILE, QRELS_DIR, QUERIES_FILE, BeirCollection, Query, load_beir
from personaqa.programs.cli_options import add_lm_arguments, lm_overrides
from personaqa.programs.config import RunConfig, load_config
from personaqa.programs.diagnosis import JudgedQuery, diagnose, mlflow_metrics, print_diagnosis
from personaqa.programs.errors import InputError, NothingKeptError
from personaqa.programs.evaluate_cli import check_out, parse_specs
from personaqa.programs.eval_outputs import metric_label
from personaqa.programs.personas import load_personas
from personaqa.programs.preflight import check_services
from personaqa.programs.panel import build_panel, warn_unsearchable_queries
from personaqa.programs.retrievers import BUILT_IN
from personaqa.programs.scoring import per_query_values
from personaqa.programs.validation import (
    SplitHalf,
    agreement,
    bootstrap_agreement,
    ranking,
    ranks,
    sample_documents,
    score_matrix,
    split_half_baseline,
    system_scores,
    text_checks,
)

DEFAULT_SAMPLE_DOCS = 30
DEFAULT_CHUNK_SIZE = 4000
DEFAULT_SPLITS = 1000
DEFAULT_RESAMPLES = 1000
DEFAULT_METRIC = "ndcg@10"
MIN_RETRIEVERS = 3
MIN_SYNTHETIC = 5  # synthetic questions below which a ranking of retrievers says nothing (exit 4)
METRIC_FAMILIES = ("ndcg", "recall", "mrr", "precision", "map", "hit_rate")
REPORTED_FAMILIES = ("ndcg", "recall", "mrr")
EXPERIMENT = "personaqa"  # the experiment every command logs to
RESULT_FILE = "validate.json"
PER_QUERY_FILE = "per_query.jsonl"
SCATTER_FILE = "human_vs_synthetic.png"
SAMPLE_FILE = "sampled_docs.jsonl"
SYNTHETIC_DIR = "synthetic"
COMPARABILITY = (
    "Both sides search the full human corpus ({n_docs} documents, not chunks). A human query's relevant "
    "documents are its qrels; a synthetic question's relevant document is the source document (doc_id) "
    "of the chunk it was generated from (for a multi-chunk question, the documents of all its chunks)."
)

PerQuery = dict[str, dict[str, dict[str, float]]]  # metric -> retriever -> query id -> value


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("validate", help="check that a synthetic set ranks retrievers like human queries",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--beir", required=True, type=Path, help="human-judged BEIR folder (corpus, queries, qrels/)")
    p.add_argument("--personas", required=True, type=Path, help="YAML/JSON list of {name, description}")
    p.add_argument("--sample-docs", type=int, default=DEFAULT_SAMPLE_DOCS,
                   help=f"documents to generate questions from (default {DEFAULT_SAMPLE_DOCS})")
    p.add_argument("--out", type=Path, help="output folder (default ./validate_<beir folder name>); "
                   "an unfinished generation there resumes")
    p.add_argument("--retrievers", nargs="+", metavar="SPEC", default=list(BUILT_IN),
                   help=f"retriever panel, space or comma separated (default: {' '.join(BUILT_IN)})")
    p.add_argument("--k", type=int, default=10, help="cut-off for the reported Recall/MRR/nDCG (default 10)")
    p.add_argument("--metric", default=DEFAULT_METRIC,
                   help=f"metric that ranks the retrievers, family@k (default {DEFAULT_METRIC})")
    p.add_argument("--splits", type=int, default=DEFAULT_SPLITS,
                   help=f"random halvings of the human queries for the split-half baseline (default {DEFAULT_SPLITS})")
    p.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES,
                   help=f"bootstrap resamples of the synthetic questions for the tau and rho intervals "
                        f"(default {DEFAULT_RESAMPLES})")
    p.add_argument("--seed", type=int, default=0,
                   help="seed for the document sample, the splits and the bootstrap (default 0)")
    p.add_argument("--split", default="test", help="qrels split of --beir: qrels/<split>.tsv (default test)")
    p.add_argument("--chunk-size", type=int, help=f"characters per chunk (default {DEFAULT_CHUNK_SIZE} unless "
                   "--config sets chunk_size): large, so a short document is one chunk")
    add_lm_arguments(p)
    p.add_argument("--workers", type=int, default=1, help="units of work in flight at once (endpoint LMs)")
    p.add_argument("--overwrite", action="store_true", help="discard an unfinished generation in --out")
    p.add_argument("--quiet", action="store_true", help="no generation progress bars or summary table")
    p.add_argument("--experiment", default=EXPERIMENT, help=f"MLflow experiment name (default {EXPERIMENT})")
    p.set_defaults(func=run)


# ---------------------------------------------------------------- arguments


def parse_metric(text: str) -> tuple[str, int]:
    family, sep, cutoff = text.strip().lower().partition("@")
    if family not in METRIC_FAMILIES or not sep or not cutoff.isdigit() or int(cutoff) < 1:
        raise InputError(f"--metric must be family@k with family one of {', '.join(METRIC_FAMILIES)}, got {text!r}")
    return family, int(cutoff)


def _check_args(args: argparse.Namespace) -> tuple[list[str], str, list[str]]:
    if args.sample_docs < 1:
        raise InputError(f"--sample-docs must be at least 1, got {args.sample_docs}")
    if args.splits < 1:
        raise InputError(f"--splits must be at least 1, got {args.splits}")
    if args.resamples < 1:
        raise InputError(f"--resamples must be at least 1, got {args.resamples}")
    if args.k < 1:
        raise InputError(f"--k must be at least 1, got {args.k}")
    family, cutoff = parse_metric(args.metric)
    metric = f"{family}@{cutoff}"
    specs = parse_specs(args.retrievers)
    if len(specs) < MIN_RETRIEVERS:
        raise InputError(f"--retrievers: need at least {MIN_RETRIEVERS} retrievers to compare rankings, "
                         f"got {len(specs)}")
    metrics = list(dict.fromkeys([metric, *(f"{f}@{args.k}" for f in REPORTED_FAMILIES)]))
    return specs, metric, metrics


def _generation_config(args: argparse.Namespace) -> RunConfig:
    overrides = {**lm_overrides(args), "chunk_size": args.chunk_size}
    config = load_config(args.config, overrides)
    if args.chunk_size is None and "chunk_size" not in config.model_fields_set:
        config = load_config(args.config, {**overrides, "chunk_size": DEFAULT_CHUNK_SIZE})
    return config


# ---------------------------------------------------------------- the command


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    specs, metric, metrics = _check_args(args)
    config = _generation_config(args)
    personas = load_personas(args.personas)
    collection = load_beir(args.beir, split=args.split)
    out = check_out(args.out or Path(f"validate_{Path(args.beir).resolve().name}"))
    check_services(mlflow=not args.no_mlflow, out_dir=out)
    console = Console()

    # Everything that can fail without the LM fails first: the human side is searched and scored in full
    # (and its split-half baseline computed) before the first LM call.
    human = _human_queries(collection)
    depth = max(args.k, int(metric.split("@")[1]))
    panel = build_panel(specs, collection.corpus, collection.root, config.embedder)
    if len(panel.retrievers) < MIN_RETRIEVERS:
        raise InputError(f"--retrievers: only {len(panel.retrievers)} of {len(specs)} retrievers can index "
                         f"{collection.root / CORPUS_FILE} (see the warnings above); "
                         f"need at least {MIN_RETRIEVERS}")
    warn_unsearchable_queries(human, collection.root / QUERIES_FILE)
    human_runs = panel.search({q.id: q.text for q in human}, depth, "human_search_s")
    human_scores = per_query_values({q.id: collection.qrels[q.id] for q in human}, human_runs, metrics)
    split_half = split_half_baseline(score_matrix(human_scores[metric])[2], args.splits, args.seed)

    sampled, from_relevant = _sample(args, collection, console)
    sample_path = out / SAMPLE_FILE
    try:
        write_jsonl(sample_path, ({"_id": d, "title": collection.corpus[d].title, "text": collection.corpus[d].text}
                                  for d in sampled))
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write ({exc.strerror or exc})") from None

    generation = _generate(args, config, personas, sample_path, out / SYNTHETIC_DIR)
    synthetic = _read_synthetic(out / SYNTHETIC_DIR, collection)
    if len(synthetic) < MIN_SYNTHETIC:
        raise NothingKeptError(f"generation kept {len(synthetic)} question(s) from the {len(sampled)} sampled "
                               f"documents, too few to rank retrievers (at least {MIN_SYNTHETIC}; see "
                               f"{out / SYNTHETIC_DIR / 'rejected.jsonl'}); raise --sample-docs or change the LM")
    synthetic_qrels = {row["_id"]: dict.fromkeys(row["doc_ids"], 1) for row in synthetic}
    synthetic_runs = panel.search({row["_id"]: row["text"] for row in synthetic}, depth, "synthetic_search_s")
    synthetic_scores = per_query_values(synthetic_qrels, synthetic_runs, metrics)
    result = build_result(
        args=args, collection=collection, out=out, specs=list(panel.retrievers), metric=metric,
        metrics=metrics, human_scores=human_scores, synthetic_scores=synthetic_scores, synthetic=synthetic,
        sampled=sampled, from_relevant=from_relevant, config=config, generation=generation,
        timing=panel.timing, split_half=split_half,
    )
    result["retrievers_skipped"] = panel.skipped
    result["diagnosis"] = _diagnosis(collection, human, synthetic, result)
    result["wall_seconds"] = round(time.monotonic() - started, 2)
    print_result(result, console)
    artifacts = write_outputs(out, result, human_scores, synthetic_scores, human, synthetic)
    console.print(f"wrote {', '.join(str(p) for p in artifacts)}")
    if not args.no_mlflow:
        late = LateLog(f"the validate run (outputs in {out} are complete)", "rerun the same command once the "
                       "store is back to log it: the generation resumes without LM calls")
        late(lambda: log_mlflow(args, result, [*artifacts, sample_path], out))
    return 0


def _diagnosis(
    collection: BeirCollection, human: list[Query], synthetic: list[dict[str, Any]], result: dict[str, Any]
) -> dict[str, Any]:
    """`programs.diagnosis` on both sides, as JSON: relevant documents are qrels resp. source documents."""
    metric = result["metric"]
    qrels = collection.qrels
    return diagnose(
        collection.corpus,
        [JudgedQuery(q.id, q.text, tuple(d for d, s in qrels[q.id].items() if s > 0)) for q in human],
        [JudgedQuery(r["_id"], r["text"], tuple(r["doc_ids"]), r["question_type"]) for r in synthetic],
        {r["name"]: r["human"][metric] for r in result["per_retriever"]},
        {r["name"]: r["synthetic"][metric] for r in result["per_retriever"]},
        metric,
    ).as_json()


def _human_queries(collection: BeirCollection) -> list[Query]:
    """The judged human queries; the split-half baseline needs two of them."""
    human = collection.judged_queries()
    if len(human) < 2:
        raise InputError(f"{collection.root / QRELS_DIR / (collection.split + '.tsv')}: only {len(human)} query "
                         "has a relevant document; the human split-half baseline needs at least 2")
    return human


def _sample(args: argparse.Namespace, collection: BeirCollection, console: Console) -> tuple[list[str], int]:
    """Documents to generate from: seeded, those relevant to a human query first (see `sample_documents`)."""
    with_text = [d.id for d in collection.corpus.values() if d.text.strip()]
    if not with_text:
        raise InputError(f"{args.beir}: no document has text to generate questions from")
    relevant = {d for q in collection.judged_queries() for d, s in collection.qrels[q.id].items() if s > 0}
    sampled, from_relevant = sample_documents(with_text, relevant, args.sample_docs, args.seed)
    if len(sampled) < args.sample_docs:
        console.print(f"[yellow]only {len(sampled)} documents have text; sampling all of them[/]")
    return sampled, from_relevant


def _generate(
    args: argparse.Namespace, config: RunConfig, personas: list, sample_path: Path, out: Path
) -> dict[str, Any]:
    from personaqa.programs.lms import describe_lm
    from personaqa.programs.runner import GenerationJob, run_generation

    job = GenerationJob(config=config, doc_paths=[sample_path], personas=personas, out_dir=out,
                        workers=max(1, args.workers), overwrite=args.overwrite, show_progress=not args.quiet,
                        mlflow=not args.no_mlflow)
    report = run_generation(job)
    run_info = json.loads((out / "run.json").read_text())
    return {
        "out_dir": str(out),
        "lm": describe_lm(config.lm),
        "judge_lm": describe_lm(config.judge_lm) if config.judge_lm else None,
        "config": config.model_dump(mode="json"),
        "personas": [p.name for p in personas],
        "counts": report.counts,
        "lm_calls_total": run_info.get("lm_usage_total", {}).get("calls"),
        "lm_calls_this_session": report.usage_this_session.total().calls,
        "wall_seconds_this_session": round(report.wall_seconds, 2),
    }


def _read_synthetic(out: Path, collection: BeirCollection) -> list[dict[str, Any]]:
    """Synthetic questions as {_id, text, doc_ids, persona, question_type, complexity}.

    A question's relevant documents are the source documents of its chunk(s): `doc_id`, plus, for a
    multi-chunk question, the documents of every chunk in `chunk_ids` (looked up in the run's BEIR corpus,
    which records each chunk's `doc_id`). Every one must be in the human corpus.
    """
    path = out / "questions.jsonl"
    chunk_docs = _chunk_documents(out / "beir" / "corpus.jsonl")
    rows = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        doc_ids = list(dict.fromkeys([record["doc_id"], *(chunk_docs[c] for c in record.get("chunk_ids") or []
                                                         if c in chunk_docs)]))
        missing = [d for d in doc_ids if d not in collection.corpus]
        if missing:
            raise InputError(f"{path}:{line_no}: doc_id {missing[0]!r} is not in the human corpus")
        rows.append({"_id": record["question_id"], "text": record["question"], "doc_ids": doc_ids,
                     "persona": record.get("persona", ""), "question_type": record.get("question_type", ""),
                     "complexity": record.get("complexity", "single")})
    return rows


def _chunk_documents(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["_id"]: str(row["doc_id"]) for row in rows if "doc_id" in row}


# ---------------------------------------------------------------- scoring


def build_result(
    *, args: argparse.Namespace, collection: BeirCollection, out: Path, specs: list[str], metric: str,
    metrics: list[str], human_scores: PerQuery, synthetic_scores: PerQuery, synthetic: list[dict[str, str]],
    sampled: list[str], from_relevant: int, config: RunConfig, generation: dict[str, Any],
    timing: dict[str, dict[str, float]], split_half: SplitHalf,
) -> dict[str, Any]:
    human_means = {m: system_scores(human_scores[m]) for m in metrics}
    synthetic_means = {m: system_scores(synthetic_scores[m]) for m in metrics}
    correlations = {}
    for m in metrics:
        tau, rho = agreement(human_means[m], synthetic_means[m])
        correlations[m] = {"kendall_tau": tau.as_json(), "spearman_rho": rho.as_json()}
    human_rank, synthetic_rank = ranks(human_means[metric]), ranks(synthetic_means[metric])
    bootstrap = bootstrap_agreement(human_means[metric], synthetic_scores[metric], args.resamples, args.seed)
    by_persona: dict[str, int] = {}
    by_complexity: dict[str, int] = {}
    for row in synthetic:
        by_persona[row["persona"]] = by_persona.get(row["persona"], 0) + 1
        by_complexity[row["complexity"]] = by_complexity.get(row["complexity"], 0) + 1
    return {
        "beir": str(Path(args.beir).resolve()),
        "split": args.split,
        "personas_file": str(Path(args.personas).resolve()),
        "out_dir": str(out.resolve()),
        "comparability": COMPARABILITY.format(n_docs=len(collection.corpus)),
        "metric": metric,
        "metrics": metrics,
        "k": args.k,
        "retrievers": specs,
        "embedder": config.embedder,
        "n_docs": len(collection.corpus),
        "n_human_queries": len(human_scores[metric][specs[0]]),
        "n_synthetic_questions": len(synthetic),
        "synthetic_questions_by_persona": dict(sorted(by_persona.items())),
        "synthetic_questions_by_complexity": dict(sorted(by_complexity.items())),
        "synthetic_text_checks": text_checks([row["text"] for row in synthetic]),
        "sample": {
            "requested": args.sample_docs,
            "seed": args.seed,
            "n_docs": len(sampled),
            "n_relevant_to_a_human_query": from_relevant,
            "doc_ids": sampled,
            "n_docs_with_questions": len({d for row in synthetic for d in row["doc_ids"]}),
        },
        "human_ranking": ranking(human_means[metric]),
        "synthetic_ranking": ranking(synthetic_means[metric]),
        "kendall_tau": correlations[metric]["kendall_tau"],
        "spearman_rho": correlations[metric]["spearman_rho"],
        "bootstrap": {**bootstrap.as_json(), "metric": metric},
        "split_half": {**split_half.as_json(), "metric": metric},
        "correlations_by_metric": correlations,
        "per_retriever": [
            {
                "name": name,
                "human": {m: human_means[m][name] for m in metrics},
                "synthetic": {m: synthetic_means[m][name] for m in metrics},
                "human_rank": human_rank[name],
                "synthetic_rank": synthetic_rank[name],
                "timing": timing.get(name, {}),
            }
            for name in specs
        ],
        "generation": generation,
    }


# ---------------------------------------------------------------- outputs


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:+.{digits}f}"


def print_result(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    metric = result["metric"]
    label = metric_label(metric)
    rows = {r["name"]: r for r in result["per_retriever"]}
    table = Table(title=f"Retrievers by {label}: {result['n_human_queries']} human queries vs "
                        f"{result['n_synthetic_questions']} synthetic questions, {result['n_docs']} documents")
    table.add_column("retriever", style="bold")
    for column in (f"human {label}", "rank", f"synthetic {label}", "rank"):
        table.add_column(column, justify="right")
    for name in result["human_ranking"]:
        r = rows[name]
        table.add_row(name, f"{r['human'][metric]:.3f}", str(r["human_rank"]), f"{r['synthetic'][metric]:.3f}",
                      str(r["synthetic_rank"]))
    console.print(table)
    others = [m for m in result["metrics"] if m != metric]
    if others:
        detail = Table(title="Other metrics (human / synthetic)")
        detail.add_column("retriever", style="bold")
        for m in others:
            detail.add_column(f"{metric_label(m)} human", justify="right")
            detail.add_column(f"{metric_label(m)} synth", justify="right")
        for name in result["human_ranking"]:
            r = rows[name]
            detail.add_row(name, *(f"{r[side][m]:.3f}" for m in others for side in ("human", "synthetic")))
        console.print(detail)
    half, boot = result["split_half"], result["bootstrap"]
    tau, rho = result["kendall_tau"], result["spearman_rho"]
    ci = f"{boot['confidence']:.0%} CI"
    lines = [
        f"human ranking:     {' > '.join(result['human_ranking'])}",
        f"synthetic ranking: {' > '.join(result['synthetic_ranking'])}",
        f"Kendall tau (human vs synthetic, {label}): {_fmt(tau['value'])} (p={_p(tau['p_value'])}), "
        f"{ci} {_interval(boot['kendall_tau'])}",
        f"Spearman rho (human vs synthetic, {label}): {_fmt(rho['value'])} (p={_p(rho['p_value'])}), "
        f"{ci} {_interval(boot['spearman_rho'])}",
        f"  (percentile bootstrap: {boot['n_resamples']} resamples of the {result['n_synthetic_questions']} "
        f"synthetic questions with replacement, {boot['n_defined']} defined, seed {boot['seed']})",
        f"human split-half Kendall tau ({half['n_splits']} random splits, {half['half_size']} vs "
        f"{half['half_size']} queries, {half['n_defined']} defined, seed {half['seed']}): median "
        f"{_fmt(half['median'])}, 5-95 % range {_fmt(half['p5'])} .. {_fmt(half['p95'])}, "
        f"IQR {_fmt(half['q1'])} .. {_fmt(half['q3'])}",
    ]
    for m in others:
        c = result["correlations_by_metric"][m]
        lines.append(f"  by {metric_label(m)}: tau {_fmt(c['kendall_tau']['value'])}, "
                     f"rho {_fmt(c['spearman_rho']['value'])}")
    sample = result["sample"]
    lines.append(f"synthetic questions: {result['n_synthetic_questions']} from {sample['n_docs_with_questions']} of "
                 f"{sample['n_docs']} sampled documents ({sample['n_relevant_to_a_human_query']} of them relevant "
                 f"to a human query); by persona: {result['synthetic_questions_by_persona']}")
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False)
    checks = result["synthetic_text_checks"]
    if checks["n_distinct"] < checks["n"] or checks["n_with_placeholder"]:
        console.print(f"[yellow]warning: synthetic questions look degenerate: {checks['n_distinct']} distinct of "
                      f"{checks['n']}, {checks['n_with_placeholder']} with an unfilled {{field}} placeholder; "
                      f"read {result['out_dir']}/synthetic/questions.jsonl before trusting the agreement[/]",
                      soft_wrap=True, highlight=False)
    print_diagnosis(result["diagnosis"], console)
    console.print(f"note: {result['comparability']}", style="dim", soft_wrap=True, highlight=False)


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _interval(bounds: list[float | None]) -> str:
    return f"{_fmt(bounds[0])} .. {_fmt(bounds[1])}"


def write_outputs(
    out: Path, result: dict[str, Any], human_scores: PerQuery, synthetic_scores: PerQuery,
    human: list, synthetic: list[dict[str, str]],
) -> list[Path]:
    write_json(out / RESULT_FILE, result)
    metrics = result["metrics"]
    texts = {("human", q.id): q.text for q in human} | {("synthetic", r["_id"]): r["text"] for r in synthetic}

    def rows():
        for side, scores in (("human", human_scores), ("synthetic", synthetic_scores)):
            for name in result["retrievers"]:
                for qid in scores[metrics[0]][name]:
                    yield {"side": side, "query_id": qid, "retriever": name, "text": texts[(side, qid)],
                           "scores": {m: scores[m][name][qid] for m in metrics}}

    write_jsonl(out / PER_QUERY_FILE, rows())
    return [out / RESULT_FILE, out / PER_QUERY_FILE, write_scatter(out / SCATTER_FILE, result)]


def write_scatter(path: Path, result: dict[str, Any]) -> Path:
    """Human vs synthetic score per retriever on the ranking metric, with a y = x reference line."""
    from matplotlib.figure import Figure

    metric = result["metric"]
    names = [r["name"] for r in result["per_retriever"]]
    xs = [r["human"][metric] for r in result["per_retriever"]]
    ys = [r["synthetic"][metric] for r in result["per_retriever"]]
    figure = Figure(figsize=(6.5, 6.0), layout="constrained")
    axes = figure.subplots()
    axes.scatter(xs, ys, s=36, zorder=3)
    top = max(1e-6, *xs, *ys) * 1.1
    placed: list[tuple[float, float, int]] = []
    for name, x, y in zip(names, xs, ys, strict=True):
        # labels of points close together (ties are common) are stacked instead of printed over each other
        taken = {slot for px, py, slot in placed if abs(px - x) < 0.15 * top and abs(py - y) < 0.03 * top}
        slot = next(i for i in range(len(placed) + 1) if i not in taken)
        placed.append((x, y, slot))
        axes.annotate(name, (x, y), textcoords="offset points", xytext=(5, 4 - 11 * slot), fontsize="small")
    axes.plot([0, top], [0, top], linestyle="--", linewidth=0.8, color="grey", label="y = x")
    axes.set_xlim(0, top)
    axes.set_ylim(0, top)
    label = metric_label(metric)
    axes.set_xlabel(f"{label}, {result['n_human_queries']} human queries")
    axes.set_ylabel(f"{label}, {result['n_synthetic_questions']} synthetic questions")
    tau, rho = result["kendall_tau"]["value"], result["spearman_rho"]["value"]
    half = result["split_half"]["median"]
    axes.set_title(f"{label}: Kendall tau {_fmt(tau, 2)}, Spearman rho {_fmt(rho, 2)}\n"
                   f"human split-half tau (median) {_fmt(half, 2)}", fontsize="medium")
    axes.legend(loc="lower right", fontsize="small")
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110)
    return path


def log_mlflow(args: argparse.Namespace, result: dict[str, Any], artifacts: list[Path], out: Path) -> str:
    import mlflow

    from personaqa.optimize.tracking_log import flatten
    from personaqa.programs.tracking import experiment_id, tracking_uri

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    generation = result["generation"]
    params = {
        "beir": result["beir"], "split": result["split"], "personas": result["personas_file"],
        "sample_docs": args.sample_docs, "seed": args.seed, "retrievers": ",".join(result["retrievers"]),
        "k": result["k"], "metric": result["metric"], "splits": args.splits, "resamples": args.resamples,
        "embedder": result["embedder"],
        "lm": generation["lm"], "judge_lm": generation["judge_lm"], "out_dir": result["out_dir"],
        "config": generation["config"],
    }
    metrics = {
        "kendall_tau": result["kendall_tau"]["value"],
        "spearman_rho": result["spearman_rho"]["value"],
        "split_half_median_tau": result["split_half"]["median"],
        "split_half_q1_tau": result["split_half"]["q1"],
        "split_half_q3_tau": result["split_half"]["q3"],
        "split_half_p5_tau": result["split_half"]["p5"],
        "split_half_p95_tau": result["split_half"]["p95"],
        "kendall_tau_ci_low": result["bootstrap"]["kendall_tau"][0],
        "kendall_tau_ci_high": result["bootstrap"]["kendall_tau"][1],
        "spearman_rho_ci_low": result["bootstrap"]["spearman_rho"][0],
        "spearman_rho_ci_high": result["bootstrap"]["spearman_rho"][1],
        "n_synthetic_questions": result["n_synthetic_questions"],
        "n_human_queries": result["n_human_queries"],
        "wall_seconds": result["wall_seconds"],
    }
    for r in result["per_retriever"]:
        for side in ("human", "synthetic"):
            for m, value in r[side].items():
                metrics[f"{side}.{_safe(r['name'])}.{_safe(m)}"] = value
    metrics.update(mlflow_metrics(result["diagnosis"]))
    with mlflow.start_run(experiment_id=experiment_id(args.experiment, uri),
                          run_name=f"validate {Path(args.beir).name}",
                          tags={"personaqa.command": "validate"}) as active:
        mlflow.log_params({k: ("" if v is None else str(v))[:6000] for k, v in flatten(params).items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v is not None and v == v})
        for path in artifacts:
            if path.exists():
                mlflow.log_artifact(str(path))
        questions = out / SYNTHETIC_DIR / "questions.jsonl"
        if questions.exists():
            mlflow.log_artifact(str(questions), artifact_path=SYNTHETIC_DIR)
    print(f"MLflow run {active.info.run_id} logged to {uri}")
    return active.info.run_id


def _safe(text: str) -> str:
    return re.sub(r"[^\w\-. /]", "_", text.replace("@", "_at_"))
