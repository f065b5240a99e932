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

# --- registry: CNCF distribution on a free 127.0.0.1 port, temp storage, delete enabled ---
mkdir -p "$WORK/registry/storage"
CONFIG="$WORK/registry/config.yml"
REG_LOG="$WORK/registry/registry.log"
start_registry() {
  local port="$1"
  cat >"$CONFIG" <<EOF
version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
EOF
  docker-registry serve "$CONFIG" >>"$REG_LOG" 2>&1 &
  REG_PID=$!
  # Ready when /v2/ answers; give up after 10 s, or at once if the process died.
  for _ in $(seq 200); do
    if ! kill -0 "$REG_PID" 2>/dev/null; then
      wait "$REG_PID" 2>/dev/null || true
      REG_PID=""
      return 1
    fi
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)" == 200 ]]; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}
PORT=""
for attempt in 1 2 3; do
  candidate="$(node bench/lib/free-port.mjs)"
  if start_registry "$candidate"; then
    PORT="$candidate"
    break
  fi
  # Another process may have taken the port between the probe and the bind: try another one.
  if [[ -n "$REG_PID" ]] || ! grep -q 'address already in use' "$REG_LOG"; then break; fi
  echo "bench: port $candidate was taken (attempt $attempt), retrying" >&2
done
if [[ -z "$PORT" ]]; then
  echo "bench: docker-registry did not become ready; log tail:" >&2
  tail -n 20 "$REG_LOG" >&2 || true
  exit 1
fi
echo "bench: docker-registry pid $REG_PID on 127.0.0.1:$PORT ($(docker-registry --version | awk '{print $NF}')), $(skopeo --version)" >&2

# In the background and waited for, so that a signal to this script runs the cleanup at once.
BENCH_REGISTRY="127.0.0.1:$PORT" BENCH_WORK="$WORK" BENCH_APP="$APP" node "$ROOT/bench/lib/oci.mjs" &
BENCH_PID=$!
wait "$BENCH_PID"
