#!/usr/bin/env bash
# Rebuilds the program `personaqa generate` runs by default (programs/compiled/default.json) for the
# default embedded LM, from the labelled sample set, with DSPy's LabeledFewShot:
#   1. the stylist (style rewrite): human rewrites as demos; scored by the LLM-judge panel;
#   2. the generality filter: human keep/drop labels as demos; scored by agreement with the labels.
# Each compile prints dev-set scores before/after with 95% CIs and judge agreement, and is logged to
# MLflow; the console output is kept in programs/compiled/default.log.
# Usage: bash experiments/build_default_program.sh   (about 25 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/personaqa}
out=programs/compiled/default.json
sets=(--trainset experiments/labelled/train.jsonl --devset experiments/labelled/dev.jsonl)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  "$py" compile --stage stylist --optimizer labeled --max-labeled-demos "${STYLE_DEMOS:-4}" "${sets[@]}" \
    --out "$tmp/stylist.json" "$@"
  "$py" compile --stage generality --optimizer labeled --max-labeled-demos "${GENERALITY_DEMOS:-6}" "${sets[@]}" \
    --program "$tmp/stylist.json" --no-agreement --out "$tmp/default.json" "$@"
} 2>&1 | tee "$tmp/default.log"
mv "$tmp/default.json" "$out"
mv "$tmp/default.log" programs/compiled/default.log
