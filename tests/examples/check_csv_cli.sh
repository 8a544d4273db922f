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

# Bad options name the option and what was expected.
expect_error() {
  local want=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    echo "FAIL: '$*' succeeded"
    exit 1
  fi
  case "$out" in
    *"$want"*) ;;
    *) echo "FAIL: '$*' said: $out (expected: $want)"; exit 1 ;;
  esac
}
expect_error "--hidden: expected an integer, got 'abc'" "$exe" --csv "$csv" --hidden abc "$@"
expect_error "--hidden: layer sizes must be positive, got '8,0'" "$exe" --csv "$csv" --hidden 8,0 "$@"
echo "error messages: ok"
# A failed write is an error, and never replaces a device or a directory.
expect_error "/dev/full: cannot write" "$exe" predict --model "$dir/model" --csv "$csv" --output /dev/full
expect_error "is a directory, not a file" "$exe" predict --model "$dir/model" --csv "$csv" --output "$dir"
[ -c /dev/full ] || { echo "FAIL: /dev/full was replaced"; exit 1; }
echo "failed writes: ok"
