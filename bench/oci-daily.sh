#!/usr/bin/env bash
# Daily-use OCI benchmark (see bench/README.md, "Issue 12: daily use"): `npm run bench:oci-daily`.
# `provisioning oci tag` against `skopeo copy` to a new tag, and a large push with terminal
# progress (in a pty, via util-linux script) against the same push with --quiet.
#   BENCH_ROUNDS=10        timed rounds of the tag case (BENCH_LARGE_ROUNDS=5 for the large push)
#   BENCH_WARMUP=1         untimed warm-up rounds first
#   BENCH_LARGE_MB=50      size of the large extension's random payload
#   BENCH_KEEP=1           keep the scratch folder
# Prints markdown tables on stdout; writes bench/results/oci-daily.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=lib/common.sh
source bench/lib/common.sh
bench_require 'needed by the daily-use OCI benchmark' docker-registry skopeo curl script
bench_setup oci-daily oci tag

bench_start_registry

# In the background and waited for, so that a signal to this script runs the cleanup at once.
BENCH_REGISTRY="127.0.0.1:$PORT" BENCH_WORK="$WORK" BENCH_APP="$APP" node "$ROOT/bench/lib/oci-daily.mjs" &
BENCH_PID=$!
wait "$BENCH_PID"
