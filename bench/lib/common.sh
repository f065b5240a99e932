# Shared by bench/*.sh (sourced after `cd "$ROOT"`): tool checks, a private copy of the
# built CLI, and cleanup of the scratch folder and of the processes the bench started.

# bench_require WHY TOOL...: exit 2 naming the first missing tool.
bench_require() {
  local why=$1
  shift
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null; then
      echo "bench: $tool is not installed ($why)" >&2
      exit 2
    fi
  done
}

bench_cleanup() {
  local status=$?
  for pid in "$BENCH_PID" "$REG_PID"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  # Optional per-bench hook (e.g. platform.sh: etcd and the services it started).
  if declare -F bench_on_cleanup >/dev/null; then bench_on_cleanup || true; fi
  if [[ "${BENCH_KEEP:-}" == 1 ]]; then
    echo "bench: kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}

# bench_setup NAME CLI-ARGS...: builds if needed, makes $WORK (removed on exit unless
# BENCH_KEEP=1), and copies the built CLI to $APP so a rebuild during the run cannot change
# the code under test; checks that `CLI-ARGS --help` runs. Sets WORK, APP, REG_PID, BENCH_PID.
bench_setup() {
  local name=$1
  shift
  if [[ ! -d node_modules/@oclif/core ]]; then
    echo "bench: node_modules missing; run npm ci first" >&2
    exit 2
  fi
  if [[ ! -d dist || ! -f oclif.manifest.json ]]; then
    echo "bench: building the project (npm run build)" >&2
    npm run build >&2
  fi
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/provisioning-bench-$name-XXXXXX")"
  REG_PID=""
  BENCH_PID=""
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  APP="$WORK/app"
  mkdir -p "$APP"
  cp -R bin dist templates package.json oclif.manifest.json "$APP/"
  ln -s "$ROOT/node_modules" "$APP/node_modules"
  if ! node "$APP/bin/run.js" "$@" --help >/dev/null 2>&1; then
    echo "bench: the built CLI does not run (a build in progress?); run npm run build and retry" >&2
    exit 1
  fi
}

# bench_wait_ready PID TRIES PAUSE CHECK [ARGS...]: polls `CHECK ARGS...` until it succeeds
# (0), the process PID exits (1, reaped) or TRIES polls PAUSE seconds apart have passed (1).
bench_wait_ready() {
  local pid="$1" tries="$2" pause="$3"
  shift 3
  for _ in $(seq "$tries"); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null || true
      return 1
    fi
    if "$@"; then return 0; fi
    sleep "$pause"
  done
  return 1
}

registry_answers() {
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/v2/" || true)" == 200 ]]
}

# bench_start_registry: CNCF distribution (docker-registry) on a free 127.0.0.1 port with
# temp storage and delete enabled, ready when /v2/ answers; retries when another process
# takes the probed port first. Sets PORT and REG_PID (stopped by bench_cleanup).
bench_start_registry() {
  mkdir -p "$WORK/registry/storage"
  local config="$WORK/registry/config.yml"
  REG_LOG="$WORK/registry/registry.log"
  PORT=""
  local candidate
  for attempt in 1 2 3; do
    candidate="$(node bench/lib/free-port.mjs)"
    cat >"$config" <<YAML
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
  addr: 127.0.0.1:$candidate
  secret: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
YAML
    docker-registry serve "$config" >>"$REG_LOG" 2>&1 &
    REG_PID=$!
    # Ready when /v2/ answers; give up after 10 s, or at once if the process died.
    if bench_wait_ready "$REG_PID" 200 0.05 registry_answers "$candidate"; then
      PORT="$candidate"
    elif ! kill -0 "$REG_PID" 2>/dev/null; then
      REG_PID=""
    fi
    [[ -n "$PORT" ]] && break
    # Another process may have taken the port between the probe and the bind: try another one.
    if [[ -n "$REG_PID" ]] || ! grep -q 'address already in use' "$REG_LOG"; then break; fi
    echo "bench: port $candidate was taken (attempt $attempt), retrying" >&2
  done
  if [[ -z "$PORT" ]]; then
    echo "bench: docker-registry did not become ready; log tail:" >&2
    tail -n 20 "$REG_LOG" >&2 || true
    exit 1
  fi
  echo "bench: docker-registry pid $REG_PID on 127.0.0.1:$PORT ($(docker-registry --version | awk '{print $NF}'))" >&2
}

# bench_build_old REF SHA DIR CHECK: the tree of commit SHA (named REF) from git, built with its
# own build script against this checkout's node_modules in DIR, so any commit can be the
# baseline of a before/after run; a DIR holding a build of the same commit (CHECK, a file of
# the build, exists) is reused. Sets OLD_APP to DIR's absolute path.
bench_build_old() {
  local ref=$1 sha=$2 dir=$3 check=$4
  if [[ -f "$dir/.bench-old-commit" && "$(cat "$dir/.bench-old-commit")" == "$sha" && -f "$dir/$check" ]]; then
    echo "bench: reusing the old side ($ref = ${sha:0:12}) built in $dir" >&2
  else
    if [[ -d "$dir" && -n "$(ls -A "$dir")" && ! -f "$dir/.bench-old-commit" ]]; then
      echo "bench: BENCH_OLD_DIR=$dir is not empty and was not made by this script; give an empty or new folder" >&2
      exit 2
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    local started=$SECONDS
    git archive "$sha" | tar -x -C "$dir"
    ln -s "$ROOT/node_modules" "$dir/node_modules"
    if ! (cd "$dir" && npm run --silent build) >"$WORK/old-build.log" 2>&1 || [[ ! -f "$dir/$check" ]]; then
      echo "bench: building the old side ($ref = $sha) failed; log tail:" >&2
      tail -n 20 "$WORK/old-build.log" >&2
      exit 1
    fi
    echo "$sha" >"$dir/.bench-old-commit"
    echo "bench: built the old side, $ref = ${sha:0:12}, in $((SECONDS - started)) s ($dir)" >&2
  fi
  OLD_APP="$(cd "$dir" && pwd)"
}
