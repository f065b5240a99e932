#!/usr/bin/env bash
# Resolver benchmark (see bench/README.md, "Resolver"): `npm run bench:resolve`.
#  (a) the resolver alone on synthetic graphs of 1,000 and 10,000 extensions (in process);
#  (b) `provisioning dep resolve` of a 100-extension workspace against a throw-away local
#      docker-registry: cold, warm, locked; (c) locked against `provisioning --version`.
#   BENCH_ONLY=alone|cli    run only (a) or only (b)+(c) (alone needs no registry)
#   BENCH_SIZES=1000,10000  graph sizes of (a); BENCH_ALONE_ROUNDS=3 processes per graph,
#                           BENCH_ALONE_RUNS=5 timed calls per process (after the first)
#   BENCH_STRESS=1000       sizes of the one-call stress graph ("" to skip; 10000 takes minutes)
#   BENCH_ROUNDS=5          timed rounds of (b)+(c), after BENCH_WARMUP=1 warm-up round(s)
#   BENCH_COUNT=100         extensions of the workspace; BENCH_ROOTS=20 roots it declares
#   BENCH_SEED=1            first PRNG seed (graphs are deterministic)
#   BENCH_PROFILE=1         also CPU-profile the locked case and --version (node --cpu-prof)
#   BENCH_KEEP=1            keep the scratch folder (fixtures, workspaces, profiles, registry log)
# Prints markdown tables on stdout; writes bench/results/resolve.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ONLY="${BENCH_ONLY:-}"
if [[ -n "$ONLY" && "$ONLY" != alone && "$ONLY" != cli ]]; then
  echo "bench: BENCH_ONLY must be alone or cli, got \"$ONLY\"" >&2
  exit 2
fi
NEED_REGISTRY=1
[[ "$ONLY" == alone ]] && NEED_REGISTRY=0
# shellcheck source=lib/common.sh
source bench/lib/common.sh
[[ "$NEED_REGISTRY" == 1 ]] && bench_require 'needed by the dep resolve part; BENCH_ONLY=alone skips it' docker-registry curl
bench_setup resolve dep resolve

PORT=""
[[ "$NEED_REGISTRY" == 1 ]] && bench_start_registry

# In the background and waited for, so that a signal to this script runs the cleanup at once.
BENCH_REGISTRY="${PORT:+127.0.0.1:$PORT}" BENCH_WORK="$WORK" BENCH_APP="$APP" node "$ROOT/bench/lib/resolve.mjs" &
BENCH_PID=$!
wait "$BENCH_PID"
