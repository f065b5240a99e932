#!/usr/bin/env bash
# Platform services and workspace locks benchmark (see bench/README.md, "Platform services and
# workspace locks"): `npm run bench:platform`.
#  (1) local registry: `oci-registry start` (until GET /v2/ = 200) + `oci-registry stop` against
#      docker-registry started and stopped by hand in bash; `platform status` against `--version`;
#  (2) a chain of 3 python3 http.server services (c -> b -> a): `platform start c` + `platform
#      stop` against the same by hand in bash;
#  (3) `workspace lock` + `unlock` with the file and the etcd provider, against `--version` and a
#      raw etcd put + delete; `dep resolve --frozen` (lock-guarded) with locking.provider none,
#      file, etcd;
#  (4) 20 concurrent `workspace lock` (file, etcd): wall time; exactly one exit 0, 19 exit 9.
#   BENCH_ONLY=services|locks|concurrent  run only (1)+(2), (3) or (4) (comma-separated list)
#   BENCH_ROUNDS=5          timed rounds of (1)+(2) and of (3), after BENCH_WARMUP=1 warm-up round(s)
#   BENCH_CONCURRENT_ROUNDS=3  timed rounds of (4) (no warm-up); BENCH_LOCKERS=20 processes per batch
#   BENCH_POLL_MS=100       poll interval of the by-hand health loops (the CLI polls every 100 ms)
#   ETCD_BIN=/usr/bin/etcd  the etcd server; BENCH_KEEP=1 keeps the scratch folder
# Prints markdown tables on stdout; writes bench/results/platform.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ONLY="${BENCH_ONLY:-services,locks,concurrent}"
for part in ${ONLY//,/ }; do
  if [[ "$part" != services && "$part" != locks && "$part" != concurrent ]]; then
    echo "bench: BENCH_ONLY takes services, locks, concurrent (comma-separated), got \"$ONLY\"" >&2
    exit 2
  fi
done
NEED_ETCD=0
[[ ",$ONLY," == *,locks,* || ",$ONLY," == *,concurrent,* ]] && NEED_ETCD=1
ETCD_BIN="${ETCD_BIN:-/usr/bin/etcd}"

# shellcheck source=lib/common.sh
source bench/lib/common.sh
bench_require 'the health polls and the raw etcd calls' curl
[[ ",$ONLY," == *,services,* ]] && bench_require 'the oci-registry part (apt-get install docker-registry)' docker-registry python3
if [[ "$NEED_ETCD" == 1 && ! -x "$ETCD_BIN" ]]; then
  echo "bench: $ETCD_BIN is not installed (the lock parts; apt-get install etcd-server, or set ETCD_BIN)" >&2
  exit 2
fi

ETCD_PID=""
# Called by bench_cleanup (common.sh) after the node process is stopped: etcd, then any service
# the CLI or a by-hand script started that is still running (PID files under $WORK).
bench_on_cleanup() {
  if [[ -n "$ETCD_PID" ]] && kill -0 "$ETCD_PID" 2>/dev/null; then
    kill "$ETCD_PID" 2>/dev/null || true
    wait "$ETCD_PID" 2>/dev/null || true
  fi
  local file pid
  for file in "$WORK"/home-*/services/pids/*.pid "$WORK"/hand/pids/*.pid; do
    [[ -f "$file" ]] || continue
    pid="$(tr -dc 0-9 <"$file")"
    [[ -n "$pid" && "$pid" -gt 1 ]] || continue
    kill -KILL -- "-$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
}

bench_setup platform platform status

etcd_healthy() {
  curl -fsS "http://127.0.0.1:$1/health" 2>/dev/null | grep -q '"health":"true"'
}

# etcd_start: a single-member etcd on free loopback client and peer ports with a data folder
# under $WORK (flags as test/helpers/etcd.ts), healthy before it returns. Sets ETCD_URL, ETCD_PID.
etcd_start() {
  mkdir -p "$WORK/etcd"
  local log="$WORK/etcd/etcd.log" port peer
  ETCD_URL=""
  for attempt in 1 2 3; do
    port="$(node bench/lib/free-port.mjs)"
    peer="$(node bench/lib/free-port.mjs)"
    rm -rf "$WORK/etcd/data"
    "$ETCD_BIN" --name bench --data-dir "$WORK/etcd/data" \
      --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
      --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
      --initial-cluster "bench=http://127.0.0.1:$peer" --initial-cluster-state new >>"$log" 2>&1 &
    ETCD_PID=$!
    if bench_wait_ready "$ETCD_PID" 200 0.1 etcd_healthy "$port"; then
      ETCD_URL="http://127.0.0.1:$port"
    elif ! kill -0 "$ETCD_PID" 2>/dev/null; then
      ETCD_PID=""
    fi
    [[ -n "$ETCD_URL" ]] && break
    if [[ -n "$ETCD_PID" ]]; then
      kill "$ETCD_PID" 2>/dev/null || true
      wait "$ETCD_PID" 2>/dev/null || true
      ETCD_PID=""
    fi
    echo "bench: etcd did not start on $port/$peer (attempt $attempt), retrying" >&2
  done
  if [[ -z "$ETCD_URL" ]]; then
    echo "bench: etcd did not become healthy; log tail:" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
  echo "bench: etcd pid $ETCD_PID on $ETCD_URL ($("$ETCD_BIN" --version | head -1))" >&2
}

ETCD_URL=""
[[ "$NEED_ETCD" == 1 ]] && etcd_start

# In the background and waited for, so that a signal to this script runs the cleanup at once.
BENCH_ONLY="$ONLY" BENCH_ETCD="$ETCD_URL" BENCH_WORK="$WORK" BENCH_APP="$APP" node "$ROOT/bench/lib/platform.mjs" &
BENCH_PID=$!
wait "$BENCH_PID"
