#!/usr/bin/env bash
# `npm run build`: compile into a fresh folder and swap it in, so a CLI started while a
# build runs (tests, benchmarks) never finds dist/ missing or half-written.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .dist-next
npx tsc -p tsconfig.build.json --outDir .dist-next
node scripts/snapshot-templates.mjs .dist-next templates
node scripts/bundle-fast-path.mjs .dist-next
rm -rf .dist-old
[ -d dist ] && mv dist .dist-old
mv .dist-next dist
rm -rf .dist-old
npx oclif manifest >/dev/null
