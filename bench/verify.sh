#!/usr/bin/env bash
# dep verify and the install check (see bench/README.md, "Issue 12: daily use"): `npm run bench:verify`.
# A workspace of BENCH_EXTENSIONS extensions x BENCH_FILES files installed from a throw-away local
# docker-registry, then interleaved rounds of: `dep verify` against a plain
# `find … -type f | xargs sha256sum` over the same files (ratio), `provisioning --version`, and
# `dep resolve` with nothing to do against the same with a build of BENCH_OLD_REF (before the
# fingerprint check), each on its own identical workspace.
#   BENCH_EXTENSIONS=30 BENCH_FILES=200 BENCH_FILE_BYTES=2048   the workspace
#   BENCH_ROUNDS=7 BENCH_WARMUP=1                               interleaved rounds
#   BENCH_OLD_REF=c6d0a3b   commit before the change; "none": no old side (no build)
#   BENCH_OLD_DIR=          build the old side there (kept) and reuse it for the same commit
#   BENCH_KEEP=1            keep the scratch folder
# Prints a markdown table on stdout; writes bench/results/verify.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OLD_REF="${BENCH_OLD_REF:-c6d0a3b}"
OLD_SHA=""
if [[ "$OLD_REF" != none ]] && ! OLD_SHA="$(git rev-parse --verify --quiet "$OLD_REF^{commit}")"; then
  echo "bench: BENCH_OLD_REF=$OLD_REF is not a commit of this repository (\"none\" runs without the old side)" >&2
  exit 2
fi
# shellcheck source=lib/common.sh
source bench/lib/common.sh
bench_require 'the workspace installs from a throw-away local registry' docker-registry curl sha256sum
bench_setup verify dep verify
bench_start_registry

OLD_APP=""
if [[ -n "$OLD_SHA" ]]; then
  OLD_APP="${BENCH_OLD_DIR:-$WORK/old}"
  if [[ -f "$OLD_APP/.bench-old-commit" && "$(cat "$OLD_APP/.bench-old-commit")" == "$OLD_SHA" && -f "$OLD_APP/dist/lib/deps/install.js" ]]; then
    echo "bench: reusing the old side ($OLD_REF = ${OLD_SHA:0:12}) built in $OLD_APP" >&2
  else
    rm -rf "$OLD_APP"
    mkdir -p "$OLD_APP"
    git archive "$OLD_SHA" | tar -x -C "$OLD_APP"
    ln -s "$ROOT/node_modules" "$OLD_APP/node_modules"
    if ! (cd "$OLD_APP" && npm run --silent build) >"$WORK/old-build.log" 2>&1; then
      echo "bench: building the old side ($OLD_REF = $OLD_SHA) failed; log tail:" >&2
      tail -n 20 "$WORK/old-build.log" >&2
      exit 1
    fi
    echo "$OLD_SHA" >"$OLD_APP/.bench-old-commit"
  fi
  OLD_APP="$(cd "$OLD_APP" && pwd)"
fi

# In the background and waited for, so that a signal to this script runs the cleanup at once.
BENCH_REGISTRY="127.0.0.1:$PORT" BENCH_WORK="$WORK" BENCH_APP="$APP" BENCH_OLD_APP="$OLD_APP" node "$ROOT/bench/lib/verify.mjs" &
BENCH_PID=$!
wait "$BENCH_PID"
