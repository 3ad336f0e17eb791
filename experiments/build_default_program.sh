#!/usr/bin/env bash
# Rebuilds the program `personaqa generate` runs by default (programs/compiled/default.json) for the
# default embedded LM, from the labelled sample set, with DSPy's LabeledFewShot: the generality filter,
# human keep/drop labels as demos, scored by agreement with the labels. The stylist ships uncompiled: its
# short styles pick the question's own words (programs/recipe/styling.py), and the labelled human rewrites,
# one long sentence each, taught the 1.5B rewrite to keep questions long (6 of 18 restyled in a sample run);
# `STYLE_DEMOS=4 bash ...` compiles it first as before.
# The compile prints dev-set scores before/after with 95% CIs and each judge's agreement with the human dev
# labels (accuracy, Cohen's kappa; AGREEMENT=0 skips it) and is logged to MLflow; the console output is kept
# in programs/compiled/default.log, below a line with the command, date and commit. WRITE=FILE also writes that
# output into FILE's <!-- build_default_program --> section (experiments/_sections.py).
# Usage: bash experiments/build_default_program.sh [compile args]   (about 20 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/personaqa}
out=programs/compiled/default.json
sets=(--trainset experiments/labelled/train.jsonl --devset experiments/labelled/dev.jsonl)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=()
agreement=()
[ "${AGREEMENT:-1}" = 0 ] && agreement=(--no-agreement)
{
  echo "# STYLE_DEMOS=${STYLE_DEMOS:-0} GENERALITY_DEMOS=${GENERALITY_DEMOS:-6} AGREEMENT=${AGREEMENT:-1}" \
    "bash experiments/build_default_program.sh $*   ($(date -u +%F), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
  if [ "${STYLE_DEMOS:-0}" -gt 0 ]; then
    "$py" compile --stage stylist --optimizer labeled --max-labeled-demos "$STYLE_DEMOS" "${sets[@]}" \
      --out "$tmp/stylist.json" "$@"
    start=(--program "$tmp/stylist.json")
  fi
  "$py" compile --stage generality --optimizer labeled --max-labeled-demos "${GENERALITY_DEMOS:-6}" "${sets[@]}" \
    "${start[@]}" "${agreement[@]}" --out "$tmp/default.json" "$@"
} 2>&1 | tee "$tmp/default.log"
mv "$tmp/default.json" "$out"
mv "$tmp/default.log" programs/compiled/default.log
if [ -n "${WRITE:-}" ]; then
  "${SECTIONS_PYTHON:-.venv/bin/python}" experiments/_sections.py build_default_program "$WRITE" \
    --command "$(head -1 programs/compiled/default.log | sed 's/^# //')" < programs/compiled/default.log
fi
