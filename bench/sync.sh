#!/usr/bin/env bash
# Cost of `repo sync` (see bench/README.md, "Issue 15"): `npm run bench:sync`.
# BENCH_EXTENSIONS extensions x BENCH_VERSIONS versions are written straight into a throw-away
# local docker-registry over HTTP (blobs and manifests, no CLI: setup is not measured). Each round
# then runs, in a fresh PROVISIONING_HOME (empty index and blob cache):
#   first        `repo sync`: no index yet, every manifest and config read;
#   unchanged    `repo sync` again, nothing changed: listings only (known tags are kept);
#   5 new        `repo sync` after 5 new versions (of 5 extensions) were written to the registry.
# Wall time and the requests each sync reports; ratios incremental / first; cost per extension.
#   BENCH_EXTENSIONS=500 BENCH_VERSIONS=5
#   BENCH_ROUNDS=3
#   BENCH_CONCURRENCY=      oci.concurrency for the syncs (default: the CLI's own, 4)
#   BENCH_KEEP=1            keep the scratch folder
# Prints a markdown table on stdout; writes bench/results/sync.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=lib/common.sh
source bench/lib/common.sh
bench_require 'the extensions live in a throw-away local registry' docker-registry curl
bench_setup sync repo sync
bench_start_registry

# In the background and waited for, so that a signal to this script runs the cleanup at once.
BENCH_REGISTRY="127.0.0.1:$PORT" BENCH_WORK="$WORK" BENCH_APP="$APP" node "$ROOT/bench/lib/sync.mjs" &
BENCH_PID=$!
wait "$BENCH_PID"
