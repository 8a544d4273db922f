#!/usr/bin/env bash
# Runs a trainer twice with the same arguments and checks: it succeeds, the two outputs agree
# exactly (timings aside), and a metric line reaches a threshold. With XGRAD_CHECK_ONCE=1 (the
# sanitizer build, where a run is 10-30 times slower and determinism is already checked by the
# release build) it runs once.
# usage: check_trainer.sh NEEDS_PATH METRIC_REGEX MIN_VALUE TRAINER ARGS...
#   NEEDS_PATH: a file or folder the run needs ("-" for none); missing -> exit 77 (skipped)
#   METRIC_REGEX: grep -E pattern; the first number after it on the last matching line is
#   compared with MIN_VALUE
#   (prefix MIN_VALUE with "<" to require the value to be at most it)
set -u
needs=$1 metric=$2 bound=$3
shift 3
if [ "$needs" != "-" ] && [ ! -e "$needs" ]; then
  echo "skipping: $needs not found"
  exit 77
fi
strip_times() { grep -vE 'wall time|ex/s' ; }
out1=$("$@" 2>&1) || { echo "$out1"; echo "FAIL: exit code $?"; exit 1; }
echo "$out1"
if [ "${XGRAD_CHECK_ONCE:-0}" = 1 ]; then
  out2=$out1
else
  out2=$("$@" 2>&1) || { echo "FAIL: second run failed"; exit 1; }
fi
if [ "$(echo "$out1" | strip_times)" != "$(echo "$out2" | strip_times)" ]; then
  echo "FAIL: the same seed gave different output"
  diff <(echo "$out1" | strip_times) <(echo "$out2" | strip_times) | head -20
  exit 1
fi
line=$(echo "$out1" | grep -E "$metric" | tail -1)
value=$(echo "$line" | awk -v m="$metric" '{ if (match($0, m)) print substr($0, RSTART + RLENGTH) }' | grep -oE '[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?' | head -1)
[ -n "$value" ] || { echo "FAIL: no line matching '$metric'"; exit 1; }
if [[ "$bound" == "<"* ]]; then
  ok=$(awk -v v="$value" -v b="${bound#<}" 'BEGIN { print (v <= b) ? 1 : 0 }')
  echo "check: $value <= ${bound#<}"
else
  ok=$(awk -v v="$value" -v b="$bound" 'BEGIN { print (v >= b) ? 1 : 0 }')
  echo "check: $value >= $bound"
fi
[ "$ok" = 1 ] || { echo "FAIL: '$line' misses the bound $bound"; exit 1; }
echo "PASS"
