#!/usr/bin/env bash
# Compile the question writer with two optimizers on the embedded model, then compare them with the
# uncompiled baseline on the shipped dev set. Prints the compare table and each judge's agreement.
# Usage: bash experiments/compile_compare.sh [OUT_DIR] [STAGE] [N_TRAIN] [N_DEV]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/compile_compare}
stage=${2:-writer}
train=${3:-28}
dev=${4:-16}
mkdir -p "$out"
py=${PERSONAQA:-.venv/bin/personaqa}
labelled=experiments/labelled
limits=(--limit-train "$train" --limit-dev "$dev")
start=$(date +%s)
"$py" compile --trainset $labelled/train.jsonl --devset $labelled/dev.jsonl --stage "$stage" "${limits[@]}" \
  --optimizer bootstrap --max-demos 2 --max-labeled-demos 2 --out "$out/bootstrap.json"
"$py" compile --trainset $labelled/train.jsonl --devset $labelled/dev.jsonl --stage "$stage" "${limits[@]}" \
  --optimizer random-search --candidates 2 --max-demos 2 --max-labeled-demos 2 --no-agreement \
  --out "$out/random_search.json"
"$py" compare --devset $labelled/dev.jsonl --stage "$stage" --limit-dev "$dev" --out "$out" \
  --program baseline --program "$out/bootstrap.json" --program "$out/random_search.json"
echo "wall seconds: $(( $(date +%s) - start ))"
