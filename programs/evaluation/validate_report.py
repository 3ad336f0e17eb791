"""What `personaqa validate` reports: the result (what validate.json holds), the tables and lines on the
terminal, per_query.jsonl, the human-vs-synthetic scatter plot, and the MLflow run."""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path
from typing import Any

from personaqa.programs.config import RunConfig
from personaqa.programs.core.atomic import atomic_write, write_json, write_jsonl
from personaqa.programs.evaluation.diagnosis import mlflow_metrics, print_diagnosis
from personaqa.programs.evaluation.outputs import metric_label
from personaqa.programs.evaluation.subsets import agreement_by_subset, print_subsets
from personaqa.programs.evaluation.validation import (
    SplitHalf,
    agreement,
    bootstrap_agreement,
    ranking,
    ranks,
    system_scores,
    text_checks,
)
from personaqa.programs.retrieval.beir import BeirCollection
from personaqa.programs.run.pooled_judging import POOL_RETRIEVERS
from rich.console import Console
from rich.table import Table

EXPERIMENT = "personaqa"  # the experiment every command logs to
RESULT_FILE = "validate.json"
PER_QUERY_FILE = "per_query.jsonl"
SCATTER_FILE = "human_vs_synthetic.png"
SAMPLE_FILE = "sampled_docs.jsonl"
SYNTHETIC_DIR = "synthetic"

PerQuery = dict[str, dict[str, dict[str, float]]]  # metric -> retriever -> query id -> value
COMPARABILITY = (
    "Both sides search the full human corpus ({n_docs} documents, not chunks). A human query's relevant "
    "documents are its qrels; a synthetic question's relevant document is the source document (doc_id) "
    "of the chunk it was generated from (for a multi-chunk question, the documents of all its chunks)."
)


def build_result(
    *,
    job: Any,
    collection: BeirCollection,
    out: Path,
    specs: list[str],
    metric: str,
    metrics: list[str],
    human_scores: PerQuery,
    synthetic_scores: PerQuery,
    synthetic: list[dict[str, str]],
    sampled: list[str],
    from_relevant: int,
    config: RunConfig,
    generation: dict[str, Any],
    timing: dict[str, dict[str, float]],
    split_half: SplitHalf,
) -> dict[str, Any]:
    """The validate result (what validate.json holds); `job` is the ValidateJob."""
    human_means = {m: system_scores(human_scores[m]) for m in metrics}
    synthetic_means = {m: system_scores(synthetic_scores[m]) for m in metrics}
    correlations = {}
    for m in metrics:
        tau, rho = agreement(human_means[m], synthetic_means[m])
        correlations[m] = {"kendall_tau": tau.as_json(), "spearman_rho": rho.as_json()}
    human_rank, synthetic_rank = ranks(human_means[metric]), ranks(synthetic_means[metric])
    bootstrap = bootstrap_agreement(human_means[metric], synthetic_scores[metric], job.resamples, job.seed)
    subsets = agreement_by_subset(
        human_means[metric], synthetic_scores[metric], synthetic, job.resamples, job.seed
    )
    by_persona: dict[str, int] = {}
    by_complexity: dict[str, int] = {}
    for row in synthetic:
        by_persona[row["persona"]] = by_persona.get(row["persona"], 0) + 1
        by_complexity[row["complexity"]] = by_complexity.get(row["complexity"], 0) + 1
    return {
        "beir": str(Path(job.beir).resolve()),
        "split": job.split,
        "personas_file": str(Path(job.personas).resolve()),
        "out_dir": str(out.resolve()),
        "comparability": COMPARABILITY.format(n_docs=len(collection.corpus)),
        "metric": metric,
        "metrics": metrics,
        "k": job.k,
        "retrievers": specs,
        "embedder": config.embedder,
        "n_docs": len(collection.corpus),
        "n_human_queries": len(human_scores[metric][specs[0]]),
        "n_synthetic_questions": len(synthetic),
        "synthetic_questions_by_persona": dict(sorted(by_persona.items())),
        "synthetic_questions_by_complexity": dict(sorted(by_complexity.items())),
        "synthetic_text_checks": text_checks([row["text"] for row in synthetic]),
        "sample": {
            "requested": job.sample_docs,
            "seed": job.seed,
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
        "agreement_by_subset": subsets,
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


def pooled_result(
    job: Any,
    metric: str,
    metrics: list[str],
    human_scores: PerQuery,
    synthetic_scores: PerQuery,
    pooled_scores: PerQuery,
    pooled: Any,
) -> dict[str, Any]:
    """validate.json's `pooled`: agreement with the human ranking when the synthetic side is scored with
    pooled qrels (`pooled`: a validate_pooling.PooledQrels), the judgement counts, and each retriever's
    synthetic score without and with them."""
    human_means = system_scores(human_scores[metric])
    pooled_means = {m: system_scores(pooled_scores[m]) for m in metrics}
    tau, rho = agreement(human_means, pooled_means[metric])
    bootstrap = bootstrap_agreement(human_means, pooled_scores[metric], job.resamples, job.seed)
    unpooled = system_scores(synthetic_scores[metric])
    return {
        "depth": job.pool_depth,
        "retrievers": list(POOL_RETRIEVERS),
        "counts": pooled.outcome.counts(),
        "lm_calls_this_session": pooled.outcome.usage_this_session.total().calls,
        "relevant_per_question_mean": round(
            sum(len(q) for q in pooled.qrels.values()) / max(len(pooled.qrels), 1), 3
        ),
        "kendall_tau": tau.as_json(),
        "spearman_rho": rho.as_json(),
        "bootstrap": {**bootstrap.as_json(), "metric": metric},
        "ranking": ranking(pooled_means[metric]),
        "per_retriever": [
            {"name": name, "unpooled": unpooled[name], "pooled": pooled_means[metric][name]}
            for name in ranking(human_means)
        ],
    }


def print_pooled(pooled: dict[str, Any], metric: str, console: Console) -> None:
    counts, boot = pooled["counts"], pooled["bootstrap"]
    label = metric_label(metric)
    table = Table(
        title=f"With pooled qrels: top {pooled['depth']} of BM25 and dense per synthetic question, "
        f"graded by the relevance judge"
    )
    table.add_column("retriever", style="bold")
    for column in (f"synthetic {label}", "with pooled qrels", "difference"):
        table.add_column(column, justify="right")
    for row in pooled["per_retriever"]:
        table.add_row(
            row["name"],
            f"{row['unpooled']:.3f}",
            f"{row['pooled']:.3f}",
            _fmt(row["pooled"] - row["unpooled"]),
        )
    console.print(table)
    for line in (
        (
            f"pooled judging: {counts['judged']} documents judged for {counts['questions']} questions: "
            f"{counts['grade_2']} fully, {counts['grade_1']} partially, {counts['grade_0']} not, "
            f"{counts['unjudged']} unusable; relevant documents per question "
            f"{pooled['relevant_per_question_mean']:.2f} (source included)"
        ),
        f"ranking with pooled qrels: {' > '.join(pooled['ranking'])}",
        (
            f"Kendall tau with pooled qrels: {_fmt(pooled['kendall_tau']['value'])}, "
            f"{boot['confidence']:.0%} CI {_interval(boot['kendall_tau'])}; "
            f"Spearman rho {_fmt(pooled['spearman_rho']['value'])}, {_interval(boot['spearman_rho'])}"
        ),
    ):
        console.print(line, soft_wrap=True, highlight=False)


def _fmt(value: float | None, digits: int = 3) -> str:
    return (
        "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:+.{digits}f}"
    )


def print_result(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    metric = result["metric"]
    label = metric_label(metric)
    rows = {r["name"]: r for r in result["per_retriever"]}
    table = Table(
        title=f"Retrievers by {label}: {result['n_human_queries']} human queries vs "
        f"{result['n_synthetic_questions']} synthetic questions, {result['n_docs']} documents"
    )
    table.add_column("retriever", style="bold")
    for column in (f"human {label}", "rank", f"synthetic {label}", "rank"):
        table.add_column(column, justify="right")
    for name in result["human_ranking"]:
        r = rows[name]
        table.add_row(
            name,
            f"{r['human'][metric]:.3f}",
            str(r["human_rank"]),
            f"{r['synthetic'][metric]:.3f}",
            str(r["synthetic_rank"]),
        )
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
        (
            f"Kendall tau (human vs synthetic, {label}): {_fmt(tau['value'])} (p={_p(tau['p_value'])}), "
            f"{ci} {_interval(boot['kendall_tau'])}"
        ),
        (
            f"Spearman rho (human vs synthetic, {label}): {_fmt(rho['value'])} (p={_p(rho['p_value'])}), "
            f"{ci} {_interval(boot['spearman_rho'])}"
        ),
        (
            f"  (percentile bootstrap: {boot['n_resamples']} resamples of the "
            f"{result['n_synthetic_questions']} synthetic questions with replacement, "
            f"{boot['n_defined']} defined, seed {boot['seed']})"
        ),
        (
            f"human split-half Kendall tau ({half['n_splits']} random splits, {half['half_size']} vs "
            f"{half['half_size']} queries, {half['n_defined']} defined, seed {half['seed']}): median "
            f"{_fmt(half['median'])}, 5-95 % range {_fmt(half['p5'])} .. {_fmt(half['p95'])}, "
            f"IQR {_fmt(half['q1'])} .. {_fmt(half['q3'])}"
        ),
    ]
    if ceiling := result.get("single_qrel_ceiling"):
        lines.append(
            f"single-qrel ceiling ({ceiling['draws']} draws of one relevant document per human query, "
            f"{ceiling['relevant_per_query']} relevant each in full): Kendall tau median "
            f"{_fmt(ceiling['median'])}, 5-95 % range {_fmt(ceiling['p5'])} .. {_fmt(ceiling['p95'])}; a set "
            "with one relevant passage per question cannot be expected to agree better"
        )
    for m in others:
        c = result["correlations_by_metric"][m]
        lines.append(
            f"  by {metric_label(m)}: tau {_fmt(c['kendall_tau']['value'])}, "
            f"rho {_fmt(c['spearman_rho']['value'])}"
        )
    sample = result["sample"]
    lines.append(
        f"synthetic questions: {result['n_synthetic_questions']} from {sample['n_docs_with_questions']} of "
        f"{sample['n_docs']} sampled documents ({sample['n_relevant_to_a_human_query']} of them relevant "
        f"to a human query); by persona: {result['synthetic_questions_by_persona']}"
    )
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False)
    checks = result["synthetic_text_checks"]
    if checks["n_distinct"] < checks["n"] or checks["n_with_placeholder"]:
        console.print(
            f"[yellow]warning: synthetic questions look degenerate: {checks['n_distinct']} distinct of "
            f"{checks['n']}, {checks['n_with_placeholder']} with an unfilled {{field}} placeholder; "
            f"read {result['out_dir']}/synthetic/questions.jsonl before trusting the agreement[/]",
            soft_wrap=True,
            highlight=False,
        )
    if result.get("pooled"):
        print_pooled(result["pooled"], metric, console)
    print_subsets(result.get("agreement_by_subset") or [], result["metric"], console)
    print_diagnosis(result["diagnosis"], console)
    console.print(f"note: {result['comparability']}", style="dim", soft_wrap=True, highlight=False)


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _interval(bounds: list[float | None]) -> str:
    return f"{_fmt(bounds[0])} .. {_fmt(bounds[1])}"


def write_outputs(
    out: Path,
    result: dict[str, Any],
    human_scores: PerQuery,
    synthetic_scores: PerQuery,
    human: list,
    synthetic: list[dict[str, str]],
) -> list[Path]:
    write_json(out / RESULT_FILE, result)
    metrics = result["metrics"]
    texts = {("human", q.id): q.text for q in human} | {("synthetic", r["_id"]): r["text"] for r in synthetic}

    def rows():
        for side, scores in (("human", human_scores), ("synthetic", synthetic_scores)):
            for name in result["retrievers"]:
                for qid in scores[metrics[0]][name]:
                    yield {
                        "side": side,
                        "query_id": qid,
                        "retriever": name,
                        "text": texts[(side, qid)],
                        "scores": {m: scores[m][name][qid] for m in metrics},
                    }

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
    axes.set_title(
        f"{label}: Kendall tau {_fmt(tau, 2)}, Spearman rho {_fmt(rho, 2)}\n"
        f"human split-half tau (median) {_fmt(half, 2)}",
        fontsize="medium",
    )
    axes.legend(loc="lower right", fontsize="small")
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110)
    return path


def log_mlflow(job: Any, result: dict[str, Any], artifacts: list[Path], out: Path) -> str:
    """`job`: the ValidateJob (its sample size, seed, splits, experiment and collection name)."""
    import mlflow
    from personaqa.programs.tracking.log import flatten
    from personaqa.programs.tracking.store import experiment_id, tracking_uri

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    generation = result["generation"]
    params = {
        "beir": result["beir"],
        "split": result["split"],
        "personas": result["personas_file"],
        "sample_docs": job.sample_docs,
        "seed": job.seed,
        "retrievers": ",".join(result["retrievers"]),
        "k": result["k"],
        "metric": result["metric"],
        "splits": job.splits,
        "resamples": job.resamples,
        "embedder": result["embedder"],
        "lm": generation["lm"],
        "judge_lm": generation["judge_lm"],
        "out_dir": result["out_dir"],
        "config": generation["config"],
        "program": generation.get("program"),
        "pool_depth": job.pool_depth,
    }
    metrics = {
        "kendall_tau": result["kendall_tau"]["value"],
        "spearman_rho": result["spearman_rho"]["value"],
        "split_half_median_tau": result["split_half"]["median"],
        "split_half_q1_tau": result["split_half"]["q1"],
        "split_half_q3_tau": result["split_half"]["q3"],
        "split_half_p5_tau": result["split_half"]["p5"],
        "split_half_p95_tau": result["split_half"]["p95"],
        "single_qrel_ceiling_median_tau": result.get("single_qrel_ceiling", {}).get("median"),
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
    if pooled := result.get("pooled"):
        metrics.update(
            {
                "pooled.kendall_tau": pooled["kendall_tau"]["value"],
                "pooled.spearman_rho": pooled["spearman_rho"]["value"],
                "pooled.kendall_tau_ci_low": pooled["bootstrap"]["kendall_tau"][0],
                "pooled.kendall_tau_ci_high": pooled["bootstrap"]["kendall_tau"][1],
                "pooled.relevant_per_question_mean": pooled["relevant_per_question_mean"],
                "pooled.depth": pooled["depth"],
            }
        )
    with mlflow.start_run(
        experiment_id=experiment_id(job.experiment, uri),
        run_name=f"validate {Path(job.beir).name}",
        tags={"personaqa.command": "validate"},
    ) as active:
        mlflow.log_params({k: ("" if v is None else str(v))[:6000] for k, v in flatten(params).items()})
        mlflow.log_metrics(
            {k: float(v) for k, v in metrics.items() if v is not None and not math.isnan(float(v))}
        )
        for path in artifacts:
            if path.exists():
                mlflow.log_artifact(str(path))
        questions = out / SYNTHETIC_DIR / "questions.jsonl"
        if questions.exists():
            mlflow.log_artifact(str(questions), artifact_path=SYNTHETIC_DIR)
    status = sys.stderr if getattr(job, "format", "table") == "json" else sys.stdout  # stdout: only the JSON
    print(f"MLflow run {active.info.run_id} logged to {uri}", file=status)
    return active.info.run_id


def _safe(text: str) -> str:
    return re.sub(r"[^\w\-. /]", "_", text.replace("@", "_at_"))
