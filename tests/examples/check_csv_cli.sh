#!/usr/bin/env bash
# xgrad-train end to end: train on a CSV, save, then predict on the same file and check that
# every row got a prediction.
set -euo pipefail
exe=$1 csv=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$exe" --csv "$csv" --save "$dir/model" --quiet "$@"
"$exe" predict --model "$dir/model" --csv "$csv" --output "$dir/pred.csv"
rows=$(($(wc -l < "$dir/pred.csv") - 1))
echo "predictions: $rows"
[ "$rows" -gt 0 ] || { echo "FAIL: no predictions"; exit 1; }
