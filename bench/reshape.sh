#!/usr/bin/env bash
# Before/after benchmark of a reshaping (issue 13: no behaviour change, so no slowdown):
# `npm run bench:reshape`. The daily commands run by two builds, this checkout and the commit
# BENCH_OLD_REF, interleaved round by round against one throw-away docker-registry, so that
# the machine's noise hits both sides alike; the figure that matters is the new/old ratio.
#   BENCH_OLD_REF=9863ef4   the baseline commit (the tree before issue 13)
#   BENCH_OLD_DIR=PATH      reuse a build of the baseline kept there (built when missing)
#   BENCH_RUNS=8            timed rounds (after BENCH_WARMUP=1); each round runs every case on both sides
#   BENCH_LARGE_MB=24       the large extension's random payload (streamed layer paths)
#   BENCH_DEPS=12           extensions the dep resolve workspace declares
#   BENCH_KEEP=1            keep the scratch folder
# Prints a markdown table on stdout; writes bench/results/reshape.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OLD_REF="${BENCH_OLD_REF:-9863ef4}"
if ! OLD_SHA="$(git rev-parse --verify --quiet "$OLD_REF^{commit}")"; then
  echo "bench: BENCH_OLD_REF=$OLD_REF is not a commit of this repository" >&2
  exit 2
fi
# shellcheck source=lib/common.sh
source bench/lib/common.sh
bench_require 'needed by the reshape benchmark' docker-registry curl
bench_setup reshape oci push
bench_start_registry
bench_build_old "$OLD_REF" "$OLD_SHA" "${BENCH_OLD_DIR:-$WORK/old}" bin/run.js

# In the background and waited for, so that a signal to this script runs the cleanup at once.
BENCH_REGISTRY="127.0.0.1:$PORT" BENCH_WORK="$WORK" BENCH_APP="$APP" BENCH_OLD_APP="$OLD_APP" BENCH_OLD_REF="$OLD_REF" node "$ROOT/bench/lib/reshape.mjs" &
BENCH_PID=$!
wait "$BENCH_PID"
