#!/usr/bin/env bash
# Startup benchmark (see bench/README.md): `npm run bench:startup`.
#   BENCH_RUNS=30      runs per command (interleaved round-robin), after BENCH_WARMUP=3 warm-up rounds
#   BENCH_ASSERT=1     exit 1 if `provisioning --version` median > BENCH_MAX_RATIO (1.3) × bare oclif `--version`
#   BENCH_BREAKDOWN=1  also time variants isolating plugins / manifest / @oclif/core import
# Prints a markdown table on stdout; writes bench/results/startup.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ ! -d node_modules/@oclif/core ]]; then
  echo "bench: node_modules missing; run npm ci first" >&2
  exit 2
fi

# The main CLI as shipped: compiled dist/ plus its oclif.manifest.json.
if [[ ! -d dist || ! -f oclif.manifest.json ]]; then
  echo "bench: building the project (npm run build)" >&2
  npm run build >&2
fi

# The bare baseline CLI's manifest (gitignored; ~0.3 s), from the project's own oclif.
# Regenerated when missing or older than its command/package.json.
BARE="$ROOT/bench/bare-cli"
if [[ ! -f "$BARE/oclif.manifest.json" || "$BARE/package.json" -nt "$BARE/oclif.manifest.json" \
      || -n "$(find "$BARE/commands" -newer "$BARE/oclif.manifest.json" -print -quit)" ]]; then
  (cd "$BARE" && OCLIF_SKIP_NEW_VERSION_CHECK=true "$ROOT/node_modules/.bin/oclif" manifest >&2)
fi

exec node "$ROOT/bench/lib/startup.mjs"
