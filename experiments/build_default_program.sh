#!/usr/bin/env bash
# Rebuilds the program `personaqa generate` runs by default (programs/compiled/default.json) for the
# default embedded LM, from the labelled sample set, with DSPy's LabeledFewShot: the generality filter,
# human keep/drop labels as demos, scored by agreement with the labels. The stylist ships uncompiled: its
# short styles pick the question's own words (programs/recipe/styling.py), and the labelled human rewrites,
# one long sentence each, taught the 1.5B rewrite to keep questions long (6 of 18 restyled in a sample run);
# `STYLE_DEMOS=4 bash ...` compiles it first as before.
# The compile prints dev-set scores before/after with 95% CIs and is logged to MLflow; the console output
# is kept in programs/compiled/default.log.
# Usage: bash experiments/build_default_program.sh [compile args]   (about 15 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/personaqa}
out=programs/compiled/default.json
sets=(--trainset experiments/labelled/train.jsonl --devset experiments/labelled/dev.jsonl)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=()
{
  if [ "${STYLE_DEMOS:-0}" -gt 0 ]; then
    "$py" compile --stage stylist --optimizer labeled --max-labeled-demos "$STYLE_DEMOS" "${sets[@]}" \
      --out "$tmp/stylist.json" "$@"
    start=(--program "$tmp/stylist.json")
  fi
  "$py" compile --stage generality --optimizer labeled --max-labeled-demos "${GENERALITY_DEMOS:-6}" "${sets[@]}" \
    "${start[@]}" --no-agreement --out "$tmp/default.json" "$@"
} 2>&1 | tee "$tmp/default.log"
mv "$tmp/default.json" "$out"
mv "$tmp/default.log" programs/compiled/default.log
