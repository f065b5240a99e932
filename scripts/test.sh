#!/usr/bin/env bash
# `npm test`: everything needed on a fresh machine, then the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh --system
echo "==> typecheck" >&2
npx tsc -p tsconfig.test.json
echo "==> lint" >&2
npm run --silent lint
echo "==> build" >&2
npm run --silent build >/dev/null
echo "==> vitest" >&2
report=$(mktemp)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line that any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report" || true
rm -f "$report"
exit $status
