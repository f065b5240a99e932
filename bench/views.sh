#!/usr/bin/env bash
# Dependency views benchmark (see bench/README.md, "Issue 12: daily use" / "Dependency views"):
# `npm run bench:views`. `dep why` and `dep tree` on a workspace of BENCH_COUNT (2,000) extensions
# whose lock is a dense diamond lattice (BENCH_LAYERS layers, each extension requiring 4 of the
# next), written directly as the lockfile plus the installed manifests (the views read no
# registry), timed against the bare oclif CLI's startup and `provisioning --version`.
#   BENCH_RUNS=10     timed rounds (interleaved), after BENCH_WARMUP=2 warm-up round(s)
#   BENCH_COUNT=2000  extensions; BENCH_ROOTS=20 declared (the first layer); BENCH_LAYERS=10;
#                     BENCH_SEED=1 (the graph is deterministic)
#   BENCH_KEEP=1      keep the scratch folder (workspace, lock)
# Prints a markdown table on stdout; writes bench/results/views.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=lib/common.sh
source bench/lib/common.sh
bench_setup views dep why

# The bare baseline CLI's manifest (gitignored), as bench/startup.sh makes it.
BARE="$ROOT/bench/bare-cli"
if [[ ! -f "$BARE/oclif.manifest.json" || "$BARE/package.json" -nt "$BARE/oclif.manifest.json" \
      || -n "$(find "$BARE/commands" -newer "$BARE/oclif.manifest.json" -print -quit)" ]]; then
  (cd "$BARE" && OCLIF_SKIP_NEW_VERSION_CHECK=true "$ROOT/node_modules/.bin/oclif" manifest >&2)
fi

# In the background and waited for, so that a signal to this script runs the cleanup at once.
BENCH_WORK="$WORK" BENCH_APP="$APP" node "$ROOT/bench/lib/views.mjs" &
BENCH_PID=$!
wait "$BENCH_PID"
