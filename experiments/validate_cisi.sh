#!/usr/bin/env bash
# Does a personaqa set rank retrievers the way CISI's human queries do? Generates questions on the
# embedded model from N sampled CISI abstracts (3 library-science personas), scores the 8 built-in
# retrievers with both query sets on the full CISI corpus, and prints both rankings, Kendall's tau,
# Spearman's rho and the human split-half baseline. Rerunning with the same arguments resumes.
# Usage: bash experiments/validate_cisi.sh [N_DOCS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
n_docs=${1:-12}
out=${2:-out/validate_cisi_n${n_docs}}
py=${PYTHON:-.venv/bin/personaqa}
start=$(date +%s)
"$py" validate --beir ../shared/data/cisi --personas experiments/cisi_personas.yaml \
  --config experiments/cisi_validate.yaml --sample-docs "$n_docs" --out "$out" --quiet "${@:3}"
echo "wall seconds: $(( $(date +%s) - start ))"
"${PYTHON_BIN:-.venv/bin/python}" experiments/validity_by_wording.py "$out"
