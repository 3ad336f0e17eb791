#!/usr/bin/env bash
# Does a personaqa set rank retrievers the way CISI's human queries do? Generates questions on the
# embedded model from N sampled CISI abstracts (3 library-science personas), scores the 8 built-in
# retrievers with both query sets on the full CISI corpus, and prints both rankings, Kendall's tau and
# Spearman's rho with bootstrap 95 % intervals over the synthetic questions, the human split-half
# baseline (median, 5-95 % range) and the diagnosis of where the two query sets differ (length, term
# overlap, BM25 rank of the relevant document, relevant documents per query, question types, each
# retriever's score under both). The printed report is kept in OUT_DIR/report.txt, the figures in
# OUT_DIR/validate.json and human_vs_synthetic.png; the run is logged to MLflow. Rerunning with the same
# arguments resumes. Extra arguments go to `personaqa validate` (e.g. --lm, --resamples). The generation
# settings are experiments/cisi_validate.yaml (with the controls of issue 15, each on half of the questions:
# validate prints tau per subset), or CONFIG=experiments/cisi_validate_plain.yaml (no controls).
# PROGRAM=FILE generates with a compiled program; the default is `baseline` (the prompts as written): the
# figures in the README were measured so, and the shipped compiled program's demos are from the sample's domain.
# PERSONAS=experiments/cisi_personas_styled.yaml sets the personas' writing style (full sentences) instead of
# deriving it from their descriptions.
# WRITE=FILE also writes the report into FILE's <!-- validate_cisi --> section (SECTION=NAME for another
# section, e.g. one per run) with the date and the command (experiments/_sections.py).
# Usage: [CONFIG=FILE] [PERSONAS=FILE] [PROGRAM=FILE] [WRITE=FILE [SECTION=NAME]] bash experiments/validate_cisi.sh [N_DOCS] [OUT_DIR] [VALIDATE ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
n_docs=${1:-12}
out=${2:-out/validate_cisi_n${n_docs}}
py=${PYTHON:-.venv/bin/personaqa}
start=$(date +%s)
mkdir -p "$out"
COLUMNS=${COLUMNS:-150} "$py" validate --beir ../shared/data/cisi --personas "${PERSONAS:-experiments/cisi_personas.yaml}" \
  --config "${CONFIG:-experiments/cisi_validate.yaml}" --sample-docs "$n_docs" --out "$out" --program "${PROGRAM:-baseline}" --quiet "${@:3}" \
  | tee "$out/report.txt"
echo "wall seconds: $(( $(date +%s) - start ))" | tee -a "$out/report.txt"
if [ -n "${WRITE:-}" ]; then
  settings="CONFIG=${CONFIG:-experiments/cisi_validate.yaml} PERSONAS=${PERSONAS:-experiments/cisi_personas.yaml} PROGRAM=${PROGRAM:-baseline}"
  "${SECTIONS_PYTHON:-.venv/bin/python}" experiments/_sections.py "${SECTION:-validate_cisi}" "$WRITE" \
    --command "$settings bash experiments/validate_cisi.sh $*" < "$out/report.txt"
fi
