#!/usr/bin/env bash
# OCI transfer benchmark (see bench/README.md, "OCI transfers"): `npm run bench:oci`.
# provisioning oci push/pull against skopeo, on a throw-away local docker-registry.
#   BENCH_ROUNDS=3        timed rounds for the small artifacts (BENCH_LARGE_ROUNDS=3 for the large one)
#   BENCH_WARMUP=1        untimed warm-up rounds first
#   BENCH_COUNT=30        small extensions; BENCH_LARGE_MB=100: size of the large one's random payload
#   BENCH_PARALLEL=4      processes at a time in the parallel cases
#   BENCH_KEEP=1          keep the scratch folder (fixtures, layouts, registry storage and log)
# Prints markdown tables on stdout; writes bench/results/oci.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=lib/common.sh
source bench/lib/common.sh
bench_require 'needed by the OCI benchmark' docker-registry skopeo curl tar
bench_setup oci oci push

bench_start_registry
echo "bench: $(skopeo --version)" >&2

# In the background and waited for, so that a signal to this script runs the cleanup at once.
BENCH_REGISTRY="127.0.0.1:$PORT" BENCH_REGISTRY_PID="$REG_PID" BENCH_WORK="$WORK" BENCH_APP="$APP" node "$ROOT/bench/lib/oci.mjs" &
BENCH_PID=$!
wait "$BENCH_PID"
