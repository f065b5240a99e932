#!/usr/bin/env bash
# Cost of signature verification in `dep resolve` (see bench/README.md, "Issue 14"): `npm run bench:signing`.
# BENCH_EXTENSIONS small extensions are pushed to a throw-away local docker-registry and signed
# with one key; three identical workspaces declare them all and are installed once. Then
# interleaved rounds of `dep resolve --json` following the lock with everything installed:
#   off     oci.verify_signatures=false (the floor);
#   cached  verification on, every result in the verification cache (no registry request);
#   cold    verification on, the verification cache emptied before each run (every signature
#           fetched from the registry and checked);
# plus `provisioning --version`. Per-artifact costs are (case - off) / BENCH_EXTENSIONS, paired
# per round. Goal (issue 14): cached < 5 ms per artifact.
#   BENCH_EXTENSIONS=30     extensions (and signatures)
#   BENCH_ROUNDS=9 BENCH_WARMUP=1
#   BENCH_ASSERT=1          exit 1 when the cached cost per artifact is 5 ms or more (CPU)
#   BENCH_KEEP=1            keep the scratch folder
# Prints a markdown table on stdout; writes bench/results/signing.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=lib/common.sh
source bench/lib/common.sh
bench_require 'the signed extensions live in a throw-away local registry' docker-registry curl
bench_setup signing oci verify
bench_start_registry

# In the background and waited for, so that a signal to this script runs the cleanup at once.
BENCH_REGISTRY="127.0.0.1:$PORT" BENCH_WORK="$WORK" BENCH_APP="$APP" node "$ROOT/bench/lib/signing.mjs" &
BENCH_PID=$!
wait "$BENCH_PID"
