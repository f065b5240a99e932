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
