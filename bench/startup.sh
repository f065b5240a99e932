#!/usr/bin/env bash
# Startup benchmark (see bench/README.md): `npm run bench:startup`.
#   BENCH_RUNS=30      runs per command (interleaved round-robin), after BENCH_WARMUP=3 warm-up rounds
#   BENCH_ASSERT=1     exit 1 if `--version` > 1.5× or `config get` > 1.7× `node -e 0` (on any Node measured)
#   BENCH_NODES=a:b    node binaries to compare (default: the node on PATH and Node 24 from scripts/ensure-deps.sh --node24)
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

# Node 20 (this machine's) and Node 24 side by side, unless BENCH_NODES names others.
if [[ -z "${BENCH_NODES:-}" ]]; then
  NODE24="$(bash scripts/ensure-deps.sh --node24)"
  export BENCH_NODES="$(command -v node):$NODE24"
fi

exec node "$ROOT/bench/lib/startup.mjs"
