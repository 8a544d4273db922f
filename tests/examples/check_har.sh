#!/usr/bin/env bash
# Generates a small UCI-HAR-layout folder and runs the har trainer on it through check_trainer.sh.
set -euo pipefail
fixture=$1 check=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$fixture" "$dir/UCI HAR Dataset"
"$check" - "test accuracy:" 0.9 "$@" --data "$dir/UCI HAR Dataset"
