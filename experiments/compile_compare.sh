#!/usr/bin/env bash
# Compile the question writer with two optimizers on the embedded model, then compare them with the
# uncompiled baseline on the shipped dev set. Prints the compare table and each judge's agreement.
# Usage: bash experiments/compile_compare.sh [OUT_DIR] [STAGE]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/compile_compare}
stage=${2:-writer}
mkdir -p "$out"
py=${PYTHON:-.venv/bin/personaqa}
labelled=experiments/labelled
start=$(date +%s)
"$py" compile --trainset $labelled/train.jsonl --devset $labelled/dev.jsonl --stage "$stage" \
  --optimizer bootstrap --max-demos 2 --max-labeled-demos 2 --out "$out/bootstrap.json"
"$py" compile --trainset $labelled/train.jsonl --devset $labelled/dev.jsonl --stage "$stage" \
  --optimizer random-search --candidates 3 --max-demos 2 --max-labeled-demos 2 --no-agreement \
  --out "$out/random_search.json"
"$py" compare --devset $labelled/dev.jsonl --stage "$stage" --out "$out" \
  --program baseline --program "$out/bootstrap.json" --program "$out/random_search.json"
echo "wall seconds: $(( $(date +%s) - start ))"
