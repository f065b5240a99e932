// `node scripts/bundle-fast-path.mjs OUT`: bundles the fast paths (src/cli/fast-commands.ts,
// what bin/run.js runs without oclif for --version, config get and dep resolve) into
// OUT/fast/. Called by scripts/build.sh next to the tsc output, which oclif, tests and
// benchmarks load as before.
//
// Why a bundle for these alone: a locked `dep resolve` imports ~130 of our modules, and
// resolving and linking each costs more than its code (stat calls, URL and package scope
// lookups). The code each path loads with import() stays lazy: splitting makes each such
// module its own chunk.
//
// Dependencies stay in node_modules, as under tsc, but for the small pure-JS ones every locked
// run loads: semver alone is ~45 CommonJS files, each resolved with its own stat calls. None of
// these keys a cache by its version (yaml does: config/parse-cache.ts), so a bundled copy
// cannot disagree with anything read from node_modules at run time.
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.resolve(process.argv[2] ?? 'dist', 'fast')
const INLINED = new Set(['semver', 'p-limit', 'fastest-levenshtein'])
const {dependencies} = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
const external = Object.keys(dependencies)
  .filter((name) => !INLINED.has(name))
  .flatMap((name) => [name, `${name}/*`])

await build({
  absWorkingDir: ROOT,
  entryPoints: [{in: 'src/cli/fast-commands.ts', out: 'fast-commands'}],
  outdir: out,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // Error rendering reads constructor names.
  keepNames: true,
  logLevel: 'warning',
})
