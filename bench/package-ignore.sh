#!/usr/bin/env bash
# Packaging benchmark (see bench/README.md, "Issue 12: daily use"): `bash bench/package-ignore.sh`.
# `oci package` of one extension folder: without .git, with a large .git left out by the
# default .provisioningignore rules, and with that .git packed (`!.git/`: what packaging did
# before the ignore rules), side by side in one run.
#   BENCH_RUNS=10         timed runs per case (interleaved round-robin), after BENCH_WARMUP=2
#   BENCH_GIT_FILES=2000  small files under .git/objects; BENCH_GIT_PACK_MB=20: size of .git's pack file
#   BENCH_KEEP=1          keep the scratch folder
# Prints a markdown table on stdout; writes bench/results/package-ignore.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=lib/common.sh
source bench/lib/common.sh
bench_setup package-ignore oci package

BENCH_WORK="$WORK" BENCH_APP="$APP" node "$ROOT/bench/lib/package-ignore.mjs" &
BENCH_PID=$!
wait "$BENCH_PID"
