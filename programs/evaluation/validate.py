"""Does a synthetic set rank retrievers the way human queries do? (`personaqa validate`, `run_validation`)

Takes a human-judged BEIR collection, samples documents from it (seeded; documents relevant
to at least one human query first), runs personaqa generation on them, then scores a panel
of retrievers twice on the same, full corpus: with the human queries and with the synthetic
questions. Reports both rankings side by side, Kendall's tau and Spearman's rho between
them with a bootstrap 95 % interval over the synthetic questions, the human split-half baseline
(tau between two random halves of the human queries), and a diagnosis of how the two query sets
differ (`programs.evaluation.diagnosis`).

The two sides are made comparable like this: both search the FULL human corpus (documents,
not chunks); a human query's relevant documents are its qrels, and a synthetic question's
relevant document is the source document (`doc_id`) of the chunk it was written from (for a
multi-chunk question, the documents of all its chunks).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personaqa.programs.config import RunConfig
from personaqa.programs.core.atomic import write_jsonl
from personaqa.programs.core.errors import InputError, NothingKeptError
from personaqa.programs.corpus.personas import load_personas
from personaqa.programs.evaluation.ceiling import single_qrel_ceiling
from personaqa.programs.evaluation.diagnosis import JudgedQuery, diagnose
from personaqa.programs.evaluation.evaluate import check_out, default_out, parse_specs
from personaqa.programs.evaluation.render import Format, console_for, print_json, wrote_line
from personaqa.programs.evaluation.scoring import per_query_values
from personaqa.programs.evaluation.validate_pooling import pooled_qrels
from personaqa.programs.evaluation.validate_report import (
    EXPERIMENT,
    SAMPLE_FILE,
    SYNTHETIC_DIR,
    build_result,
    log_mlflow,
    pooled_result,
    print_result,
    write_outputs,
)
from personaqa.programs.evaluation.validation import sample_documents, score_matrix, split_half_baseline
from personaqa.programs.lm.build import check_lm_config
from personaqa.programs.recipe.pipeline import SyntheticEvalProgram
from personaqa.programs.recipe.program_io import check_program_path, load_program_state
from personaqa.programs.retrieval.beir import (
    CORPUS_FILE,
    QRELS_DIR,
    QUERIES_FILE,
    BeirCollection,
    Query,
    load_beir,
)
from personaqa.programs.retrieval.panel import build_panel, warn_unsearchable_queries
from personaqa.programs.retrieval.retrievers import BUILT_IN
from personaqa.programs.run.preflight import check_services
from personaqa.programs.tracking.log import LateLog
from rich.console import Console

DEFAULT_SAMPLE_DOCS = 30
DEFAULT_CHUNK_SIZE = 4000
DEFAULT_SPLITS = 1000
DEFAULT_RESAMPLES = 1000
DEFAULT_METRIC = "ndcg@10"
MIN_RETRIEVERS = 3
MIN_SYNTHETIC = 5  # synthetic questions below which a ranking of retrievers says nothing (exit 4)
METRIC_FAMILIES = ("ndcg", "recall", "mrr", "precision", "map", "hit_rate")
REPORTED_FAMILIES = ("ndcg", "recall", "mrr")


@dataclass
class ValidateJob:
    """What `personaqa validate` is asked: the human collection, the personas to generate with, the panel of
    retrievers and how to compare their rankings. `config` is the generation's (default: RunConfig with
    `chunk_size` DEFAULT_CHUNK_SIZE, so a short document is one chunk)."""

    beir: Path
    personas: Path
    config: RunConfig | None = None
    out: Path | None = None  # default: beside the BEIR folder, <beir>-validate (`evaluate.default_out`)
    sample_docs: int = DEFAULT_SAMPLE_DOCS
    retrievers: list[str] = field(default_factory=lambda: list(BUILT_IN))
    k: int | list[int] = 10  # cut-off(s) of the reported Recall/MRR/nDCG
    metric: str = DEFAULT_METRIC
    splits: int = DEFAULT_SPLITS
    resamples: int = DEFAULT_RESAMPLES  # bootstrap resamples of the synthetic questions (tau, rho intervals)
    seed: int = 0
    split: str = "test"
    workers: int = 1
    program_path: Path | None = None  # compiled program state; None: the prompts as written (`baseline`)
    pool_depth: int = 0  # > 0: also score the synthetic side with pooled qrels (validate_pooling.py)
    overwrite: bool = False
    quiet: bool = False
    mlflow: bool = True
    experiment: str = EXPERIMENT
    format: Format = "table"  # how the result is printed (render.py): json prints validate.json's data


def parse_metric(text: str) -> tuple[str, int]:
    family, sep, cutoff = text.strip().lower().partition("@")
    if family not in METRIC_FAMILIES or not sep or not cutoff.isdigit() or int(cutoff) < 1:
        raise InputError(
            f"--metric must be family@k with family one of {', '.join(METRIC_FAMILIES)}, got {text!r}"
        )
    return family, int(cutoff)


def check_job(job: ValidateJob) -> tuple[list[str], str, list[str]]:
    """The retriever specs, the ranking metric and every metric reported; a bad setting is an InputError."""
    if job.sample_docs < 1:
        raise InputError(f"--sample-docs must be at least 1, got {job.sample_docs}")
    if job.splits < 1:
        raise InputError(f"--splits must be at least 1, got {job.splits}")
    if job.resamples < 1:
        raise InputError(f"--resamples must be at least 1, got {job.resamples}")
    if min(cutoffs(job)) < 1:
        raise InputError(f"--k must be at least 1, got {job.k}")
    if job.pool_depth < 0:
        raise InputError(f"--pool-depth must be 0 (no pooling) or more, got {job.pool_depth}")
    if job.program_path is not None:
        check_program_path(job.program_path)
    family, cutoff = parse_metric(job.metric)
    metric = f"{family}@{cutoff}"
    specs = parse_specs(job.retrievers)
    if len(specs) < MIN_RETRIEVERS:
        raise InputError(
            f"--retrievers: need at least {MIN_RETRIEVERS} retrievers to compare rankings, got {len(specs)}"
        )
    metrics = list(dict.fromkeys([metric, *(f"{f}@{k}" for k in cutoffs(job) for f in REPORTED_FAMILIES)]))
    return specs, metric, metrics


def cutoffs(job: ValidateJob) -> list[int]:
    """`job.k` as a list of cut-offs."""
    return [job.k] if isinstance(job.k, int) else list(job.k) or [10]


def run_validation(job: ValidateJob) -> dict[str, Any]:
    """Score the panel with the human queries, generate a synthetic set from sampled documents, score the
    panel with it, and compare the rankings; prints the tables, writes the outputs, logs an MLflow run.
    Returns the result (what validate.json holds)."""
    started = time.monotonic()
    specs, metric, metrics = check_job(job)
    config = job.config or RunConfig(chunk_size=DEFAULT_CHUNK_SIZE)
    personas = load_personas(job.personas)
    _check_generation_settings(config, job.program_path)
    collection = load_beir(job.beir, split=job.split)
    out = check_out(job.out or default_out(job.beir, "validate"))
    check_services(mlflow=job.mlflow, out_dir=out)
    # json: stdout holds validate.json only, so the tables and notes go to stderr
    console = Console(stderr=True) if job.format == "json" else console_for(job.format)

    # Everything that can fail without the LM fails first: the human side is searched and scored in full
    # (and its split-half baseline computed) before the first LM call.
    human = _human_queries(collection)
    depth = max(*cutoffs(job), int(metric.split("@")[1]))
    panel = build_panel(specs, collection.corpus, collection.root, config.embedder)
    if len(panel.retrievers) < MIN_RETRIEVERS:
        raise InputError(
            f"--retrievers: only {len(panel.retrievers)} of {len(specs)} retrievers can index "
            f"{collection.root / CORPUS_FILE} (see the warnings above); "
            f"need at least {MIN_RETRIEVERS}"
        )
    warn_unsearchable_queries(human, collection.root / QUERIES_FILE)
    human_runs = panel.search({q.id: q.text for q in human}, depth, "human_search_s")
    human_scores = per_query_values({q.id: collection.qrels[q.id] for q in human}, human_runs, metrics)
    split_half = split_half_baseline(score_matrix(human_scores[metric])[2], job.splits, job.seed)
    ceiling = single_qrel_ceiling(
        {q.id: collection.qrels[q.id] for q in human}, human_runs, metric, seed=job.seed
    )

    sampled, from_relevant = _sample(job, collection, console)
    sample_path = out / SAMPLE_FILE
    try:
        write_jsonl(
            sample_path,
            (
                {"_id": d, "title": collection.corpus[d].title, "text": collection.corpus[d].text}
                for d in sampled
            ),
        )
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write ({exc.strerror or exc})") from None

    generation = _generate(job, config, personas, sample_path, out / SYNTHETIC_DIR)
    synthetic = _read_synthetic(out / SYNTHETIC_DIR, collection)
    if len(synthetic) < MIN_SYNTHETIC:
        raise NothingKeptError(
            f"generation kept {len(synthetic)} question(s) from the {len(sampled)} sampled "
            f"documents, too few to rank retrievers (at least {MIN_SYNTHETIC}; see "
            f"{out / SYNTHETIC_DIR / 'rejected.jsonl'}); raise --sample-docs or change the LM"
        )
    synthetic_qrels = {row["_id"]: dict.fromkeys(row["doc_ids"], 1) for row in synthetic}
    synthetic_runs = panel.search({row["_id"]: row["text"] for row in synthetic}, depth, "synthetic_search_s")
    synthetic_scores = per_query_values(synthetic_qrels, synthetic_runs, metrics)
    pooled = None
    if job.pool_depth:
        pooled = pooled_qrels(
            synthetic, collection, job.pool_depth, config, job.program_path, out, job.workers, not job.quiet
        )
    result = build_result(
        job=job,
        collection=collection,
        out=out,
        specs=list(panel.retrievers),
        metric=metric,
        metrics=metrics,
        human_scores=human_scores,
        synthetic_scores=synthetic_scores,
        synthetic=synthetic,
        sampled=sampled,
        from_relevant=from_relevant,
        config=config,
        generation=generation,
        timing=panel.timing,
        split_half=split_half,
    )
    result["retrievers_skipped"] = panel.skipped
    result["single_qrel_ceiling"] = {**ceiling.as_json(), "metric": metric}
    if pooled is not None:
        result["pooled"] = pooled_result(
            job,
            metric,
            metrics,
            human_scores,
            synthetic_scores,
            per_query_values(pooled.qrels, synthetic_runs, metrics),
            pooled,
        )
    result["diagnosis"] = _diagnosis(collection, human, synthetic, result)
    result["wall_seconds"] = round(time.monotonic() - started, 2)
    if job.format == "json":
        print_json(result)
    else:
        print_result(result, console)
    artifacts = write_outputs(out, result, human_scores, synthetic_scores, human, synthetic)
    console.print(wrote_line(artifacts), markup=False, highlight=False)
    if job.mlflow:
        late = LateLog(
            f"the validate run (outputs in {out} are complete)",
            "rerun the same command once the "
            "store is back to log it: the generation resumes without LM calls",
        )
        late(lambda: log_mlflow(job, result, [*artifacts, sample_path], out))
    return result


def _diagnosis(
    collection: BeirCollection, human: list[Query], synthetic: list[dict[str, Any]], result: dict[str, Any]
) -> dict[str, Any]:
    """`programs.evaluation.diagnosis` on both sides, as JSON: relevant documents are qrels resp. source
    documents."""
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


def _check_generation_settings(config: RunConfig, program_path: Path | None) -> None:
    """A bad LM setting (GGUF file, API key variable) or program state fails here, before the human side is
    scored and before --out is written; an endpoint is first called by the generation."""
    for lm in filter(None, (config.lm, config.judge_lm)):
        check_lm_config(lm)
    if program_path is not None:  # the predictors are checked, no embedder is loaded
        load_program_state(SyntheticEvalProgram(None, config.type_descriptions()), program_path)


def _human_queries(collection: BeirCollection) -> list[Query]:
    """The judged human queries; the split-half baseline needs two of them."""
    human = collection.judged_queries()
    if len(human) < 2:
        raise InputError(
            f"{collection.root / QRELS_DIR / (collection.split + '.tsv')}: only {len(human)} query "
            "has a relevant document; the human split-half baseline needs at least 2"
        )
    return human


def _sample(job: ValidateJob, collection: BeirCollection, console: Console) -> tuple[list[str], int]:
    """Documents to generate from: seeded, those relevant to a human query first (see `sample_documents`)."""
    with_text = [d.id for d in collection.corpus.values() if d.text.strip()]
    if not with_text:
        raise InputError(f"{job.beir}: no document has text to generate questions from")
    relevant = {d for q in collection.judged_queries() for d, s in collection.qrels[q.id].items() if s > 0}
    sampled, from_relevant = sample_documents(with_text, relevant, job.sample_docs, job.seed)
    if len(sampled) < job.sample_docs:
        console.print(f"[yellow]only {len(sampled)} documents have text; sampling all of them[/]")
    return sampled, from_relevant


def _generate(
    job: ValidateJob, config: RunConfig, personas: list, sample_path: Path, out: Path
) -> dict[str, Any]:
    from personaqa.programs.lm.build import describe_lm
    from personaqa.programs.run import GenerationJob, run_generation

    job = GenerationJob(
        config=config,
        doc_paths=[sample_path],
        personas=personas,
        out_dir=out,
        program_path=job.program_path,
        workers=max(1, job.workers),
        overwrite=job.overwrite,
        show_progress=not job.quiet,
        mlflow=job.mlflow,
    )
    report = run_generation(job)
    run_info = json.loads((out / "run.json").read_text())
    return {
        "out_dir": str(out),
        "lm": describe_lm(config.lm),
        "judge_lm": describe_lm(config.judge_lm) if config.judge_lm else None,
        "program": str(job.program_path) if job.program_path else "baseline",
        "config": config.model_dump(mode="json"),
        "personas": [p.name for p in personas],
        "counts": report.counts,
        "lm_calls_total": run_info.get("lm_usage_total", {}).get("calls"),
        "lm_calls_this_session": report.usage_this_session.total().calls,
        "wall_seconds_this_session": round(report.wall_seconds, 2),
    }


def _read_synthetic(out: Path, collection: BeirCollection) -> list[dict[str, Any]]:
    """Synthetic questions as {_id, text, doc_ids, persona, question_type, complexity, wording,
    lexical_overlap, categories}.

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
        doc_ids = list(
            dict.fromkeys(
                [record["doc_id"], *(chunk_docs[c] for c in record.get("chunk_ids") or [] if c in chunk_docs)]
            )
        )
        missing = [d for d in doc_ids if d not in collection.corpus]
        if missing:
            raise InputError(f"{path}:{line_no}: doc_id {missing[0]!r} is not in the human corpus")
        rows.append(
            {
                "_id": record["question_id"],
                "text": record["question"],
                "doc_ids": doc_ids,
                "persona": record.get("persona", ""),
                "question_type": record.get("question_type", ""),
                "complexity": record.get("complexity", "single"),
                "wording": record.get("wording", "passage"),
                "lexical_overlap": record.get("lexical_overlap"),
                "categories": record.get("categories") or {},
            }
        )
    return rows


def _chunk_documents(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["_id"]: str(row["doc_id"]) for row in rows if "doc_id" in row}


# ---------------------------------------------------------------- scoring
