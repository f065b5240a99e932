#!/usr/bin/env bash
# `npm test`: everything needed on a fresh machine, then two vitest passes:
#   1. the whole suite on Node.js 24, the active LTS (.tools/node24 first on PATH, so vitest
#      and every CLI it spawns run on 24); extra arguments (file filters) go to this pass;
#   2. a short pass on the machine's node (Node.js 20 here, the oldest engines.node allows):
#      the unit tests and the end-to-end files that cover the CLI shell.
# Each pass ends with one line "tests: N passed, F failed, S skipped (node vX…)"; the script
# fails when either pass fails.
#   PROVISIONING_TEST_NODE=24  only the Node 24 pass
#   PROVISIONING_TEST_NODE=20  only the machine-node pass (extra arguments replace its file list)
set -euo pipefail
cd "$(dirname "$0")/.."

only=${PROVISIONING_TEST_NODE:-}
unset PROVISIONING_TEST_NODE
case "$only" in
  '' | 20 | 24) ;;
  *) echo "PROVISIONING_TEST_NODE=$only: use 20 or 24 (unset: both passes)" >&2; exit 2 ;;
esac

deps=(--system)
[ "$only" = 20 ] || deps+=(--node24)
node24=$(bash scripts/ensure-deps.sh "${deps[@]}")
echo "==> typecheck" >&2
npx tsc -p tsconfig.test.json
echo "==> lint" >&2
npm run --silent lint
echo "==> build" >&2
npm run --silent build >/dev/null

# The CLI shell: start-up and help, config, an OCI push then pulls (real registry, a
# terminal prompt), dep resolve against a real registry: about 100 s of vitest on 2 cores.
cli_shell=(
  test/unit
  test/e2e/help.test.ts
  test/e2e/config.test.ts
  test/e2e/oci-pull-output.test.ts
  test/e2e/dep-resolve.test.ts
)

summaries=()
status=0
# pass NAME NODE_BIN_DIR VITEST_ARGS...: one vitest run with NODE_BIN_DIR first on PATH.
pass() {
  local name=$1 bin_dir=$2
  shift 2
  local path=$bin_dir:$PATH
  local version report started rc=0
  version=$(PATH=$path node --version)
  report=$(mktemp)
  started=$SECONDS
  echo "==> vitest, $name, node $version" >&2
  PATH=$path node node_modules/vitest/vitest.mjs run --reporter=default --reporter=json --outputFile.json="$report" "$@" || rc=$?
  # One plain closing line per pass that any CI can read.
  summaries+=("$(node -e '
    const [file, label] = process.argv.slice(1)
    let r
    try { r = JSON.parse(require("fs").readFileSync(file, "utf8")) } catch { console.log(`tests: no report (${label})`); process.exit() }
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped (${label})`)
  ' "$report" "node $version, $name, $((SECONDS - started)) s")")
  rm -f "$report"
  [ $rc -eq 0 ] || status=1
}

main_pass="full suite"
[ $# -eq 0 ] || main_pass="selected files"
case "$only" in
  '') pass "$main_pass" "$(dirname "$node24")" "$@"; pass "unit + CLI shell" "$(dirname "$(command -v node)")" "${cli_shell[@]}" ;;
  24) pass "$main_pass" "$(dirname "$node24")" "$@" ;;
  20) if [ $# -gt 0 ]; then pass "selected files" "$(dirname "$(command -v node)")" "$@"; else pass "unit + CLI shell" "$(dirname "$(command -v node)")" "${cli_shell[@]}"; fi ;;
esac
printf '%s\n' "${summaries[@]}"
exit $status
