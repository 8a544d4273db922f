#!/usr/bin/env bash
# Runs a trainer once per seed through check_trainer.sh (each seed's metric must reach EACH_MIN)
# and checks that the mean over the seeds reaches MEAN_MIN.
# usage: check_seeds.sh "SEEDS" EACH_MIN MEAN_MIN NEEDS_PATH METRIC_REGEX TRAINER ARGS...
#   SEEDS: space-separated, each passed as --seed S after ARGS
set -u
seeds=$1 each=$2 mean_bound=$3 needs=$4 metric=$5
shift 5
here=$(dirname "$0")
values=""
for seed in $seeds; do
  out=$(XGRAD_CHECK_ONCE=1 "$here/check_trainer.sh" "$needs" "$metric" "$each" "$@" --seed "$seed")
  status=$?
  echo "--- seed $seed"
  echo "$out"
  [ $status = 0 ] || exit $status  # 77 (data missing) passes through as skipped
  values="$values $(echo "$out" | grep -E '^check: ' | awk '{ print $2 }')"
done
mean=$(echo "$values" | awk '{ s = 0; for (i = 1; i <= NF; ++i) s += $i; printf "%.6f", s / NF }')
echo "mean over seeds $seeds: $mean (each >= $each)"
ok=$(awk -v v="$mean" -v b="$mean_bound" 'BEGIN { print (v >= b) ? 1 : 0 }')
echo "check: mean $mean >= $mean_bound"
[ "$ok" = 1 ] || { echo "FAIL: the mean $mean misses $mean_bound"; exit 1; }
echo "PASS"
