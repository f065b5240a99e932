#!/usr/bin/env bash
# Resolver benchmark (see bench/README.md, "Resolver"): `npm run bench:resolve`.
#  (a) alone     the resolver alone on synthetic graphs of 1,000 and 10,000 extensions (in process),
#                and one call on the stress graph of each size;
#  (d) shapes    adversarial catalogs: lowest-only-solvable chain (L=14 V=3, L=300 V=100), pub's
#                complex backtrack widened (N=20, 30), pigeonhole n=8 (unsatisfiable);
#  (e) validate  `provisioning dep validate --json` on a local catalog of 10,000 versions, cold and
#                warm parse cache, against `provisioning --version`;
#  (b) cli       `provisioning dep resolve` of a 100-extension workspace against a throw-away local
#                docker-registry: cold, warm, locked; (c) locked against `provisioning --version`.
# (a), (d), (e) also run the OLD resolver / CLI side by side (issue 11): BENCH_OLD_REF is built from
# git into the scratch folder (git archive + its own `npm run build`, ~10 s), and each of its runs
# is a child process with a time limit, reported as it ended ("gave up …", "> 120 s (killed)").
#   BENCH_ONLY=alone,shapes,validate   parts to run, comma-separated, or "all" (= the three and
#                           cli); only cli needs docker-registry
#   BENCH_OLD_REF=db605b8   commit of the old resolver; "none": no old side (no build)
#   BENCH_OLD_DIR=          build the old side there (kept) instead of in the scratch folder, and
#                           reuse it while it holds a build of the same commit
#   BENCH_OLD_TIMEOUT=120   seconds per old-resolver process (shape, graph or validate run); the
#                           old resolver needs 70-100 s to give up on the stress graph at 10,000
#   BENCH_NEW_TIMEOUT=120   seconds per new-resolver process ("> 120 s" for pigeonhole)
#   BENCH_OLD_ROUNDS=       rounds that also run the old side (default: every round, interleaved,
#                           so both sides see the same load; 1: only the first, faster)
#   BENCH_SIZES=1000,10000  graph sizes of (a); BENCH_ALONE_ROUNDS=3 processes per graph,
#                           BENCH_ALONE_RUNS=5 timed calls per process (after the first)
#   BENCH_STRESS=1000,10000 sizes of the stress graph, one call per side ("" to skip; the old
#                           side's call at 10,000 runs until its step limit, ~1 min or more)
#   BENCH_SHAPE_ROUNDS=3    processes per shape and side; BENCH_SHAPE_RUNS=5 repeated calls per
#                           process after the first, while the calls took < 2 s in all
#   BENCH_VALIDATE_ROUNDS=3 timed rounds of (e); BENCH_VALIDATE_NAMES=2000,
#                           BENCH_VALIDATE_VERSIONS=5 (the catalog), BENCH_VALIDATE_ROOTS=20
#   BENCH_ROUNDS=5          timed rounds of (b)+(c), after BENCH_WARMUP=1 warm-up round(s)
#   BENCH_COUNT=100         extensions of the workspace; BENCH_ROOTS=20 roots it declares
#   BENCH_SEED=1            first PRNG seed (graphs are deterministic)
#   BENCH_PROFILE=1         also CPU-profile the locked case and --version (node --cpu-prof)
#   BENCH_KEEP=1            keep the scratch folder (fixtures, workspaces, old build, profiles, registry log)
# Prints markdown tables on stdout; writes bench/results/resolve.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ONLY="${BENCH_ONLY:-alone,shapes,validate}"
[[ "$ONLY" == all ]] && ONLY=alone,shapes,validate,cli
NEED_REGISTRY=0
NEED_OLD=0
IFS=',' read -r -a PARTS <<<"$ONLY"
for part in "${PARTS[@]}"; do
  case "${part// /}" in
    cli) NEED_REGISTRY=1 ;;
    alone | shapes | validate) NEED_OLD=1 ;;
    '') ;;
    *)
      echo "bench: BENCH_ONLY takes alone, shapes, validate and cli (comma-separated), got \"$ONLY\"" >&2
      exit 2
      ;;
  esac
done
OLD_REF="${BENCH_OLD_REF:-db605b8}"
[[ "$OLD_REF" == none ]] && NEED_OLD=0
OLD_SHA=""
if [[ "$NEED_OLD" == 1 ]] && ! OLD_SHA="$(git rev-parse --verify --quiet "$OLD_REF^{commit}")"; then
  echo "bench: BENCH_OLD_REF=$OLD_REF is not a commit of this repository (\"none\" runs without the old side)" >&2
  exit 2
fi
# shellcheck source=lib/common.sh
source bench/lib/common.sh
[[ "$NEED_REGISTRY" == 1 ]] && bench_require 'needed by the cli part (dep resolve); BENCH_ONLY=alone,shapes,validate runs without it' docker-registry curl
bench_setup resolve dep resolve

PORT=""
[[ "$NEED_REGISTRY" == 1 ]] && bench_start_registry

# The old side: the tree of OLD_REF built in the scratch folder (or reused from BENCH_OLD_DIR).
OLD_APP=""
if [[ "$NEED_OLD" == 1 ]]; then
  bench_build_old "$OLD_REF" "$OLD_SHA" "${BENCH_OLD_DIR:-$WORK/old}" dist/lib/deps/resolver.js
fi

# In the background and waited for, so that a signal to this script runs the cleanup at once.
BENCH_REGISTRY="${PORT:+127.0.0.1:$PORT}" BENCH_WORK="$WORK" BENCH_APP="$APP" BENCH_OLD_APP="$OLD_APP" BENCH_OLD_SHA="$OLD_SHA" BENCH_OLD_REF="$OLD_REF" BENCH_ONLY="$ONLY" node "$ROOT/bench/lib/resolve.mjs" &
BENCH_PID=$!
wait "$BENCH_PID"
