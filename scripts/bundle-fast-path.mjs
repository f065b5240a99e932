// `node scripts/bundle-fast-path.mjs OUT`: bundles each fast path (src/cli/fast/NAME.ts, what
// bin/run.js runs without oclif for --version, config get, dep resolve and oci push; the names are
// FAST_PATH_BUNDLES in src/cli/fast-path.ts) into one file, OUT/fast/NAME.cjs, which
// src/cli/bundle-loader.ts runs with its code cache. Called by scripts/build.sh next to the tsc
// output, which oclif, tests and benchmarks load as before.
//
// Why one file per path: loading a module costs more than its code (resolution, stat calls,
// URL and package scope lookups, a module job each). A locked `dep resolve` imported ~130 of our
// modules; a shared split build still gave `config get` ~20 chunks, ~15 ms of a ~75 ms run on
// Node 24. Without splitting, what a path loads with import() is inlined and still runs only
// when reached.
//
// Dependencies stay in node_modules, as under tsc, but for the pure-JS ones the fast paths run:
// semver alone is ~45 CommonJS files, each resolved with its own stat calls, and yaml ~70. The
// parse cache keys its entries by the yaml version (config/parse-cache.ts), so a bundle tells
// it the version it was built with.
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.resolve(process.argv[2] ?? 'dist', 'fast')
// Each path, and the smallest YAML text it looks up in the parse cache (config/parse-cache.ts):
// `config get` parses a small config itself rather than load node:crypto to check an entry;
// `dep resolve` and `oci push` load node:crypto anyway (digests, signed lock markers), so every entry pays.
const PATHS = {version: 0, 'config-get': 16 * 1024, 'dep-resolve': 0, 'oci-push': 0}
const INLINED = new Set(['semver', 'p-limit', 'fastest-levenshtein', 'yaml'])
const yamlVersion = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'yaml', 'package.json'), 'utf8')).version
const {dependencies} = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
const external = Object.keys(dependencies)
  .filter((name) => !INLINED.has(name))
  .flatMap((name) => [name, `${name}/*`])

// Builtins a bundle loads only when it first uses one of their exports. A bundle runs the top
// level of every module it holds at load, so each module's imports would load their builtins
// at start even when the run never calls them: fs/promises brings readline and the streams
// (~2 ms on Node 24), zlib and stream/promises come with the packaging code a locked resolve
// rarely reaches. Each is replaced by a module of getters that require() it on first access.
// node:fs and node:path stay as they are: Node has loaded them before any code of ours runs.
// Only modules whose export is a plain object: the getters stand in for that object, so a
// module that is itself a function or class (events, stream, module) cannot be replaced.
const LAZY_BUILTINS = new Set([
  'node:fs/promises',
  'node:crypto',
  'node:zlib',
  'node:stream/promises',
  'node:os',
  'node:child_process',
  'node:net',
  'node:tty',
  'node:readline',
])
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    build.onResolve({filter: /^node:/}, (args) =>
      LAZY_BUILTINS.has(args.path) && args.namespace !== 'lazy-builtin' ? {path: args.path, namespace: 'lazy-builtin'} : undefined,
    )
    build.onLoad({filter: /.*/, namespace: 'lazy-builtin'}, async (args) => {
      const real = await import(args.path)
      if (typeof real.default === 'function') throw new Error(`${args.path} exports a function: getters cannot stand in for it (take it out of LAZY_BUILTINS)`)
      const names = Object.keys(real).filter((name) => name !== 'default')
      const getters = names.map(
        (name) => `Object.defineProperty(exports, ${JSON.stringify(name)}, {enumerable: true, get: () => load()[${JSON.stringify(name)}]})`,
      )
      return {contents: [`let real; const load = () => (real ??= require(${JSON.stringify(args.path)}));`, ...getters].join('\n'), loader: 'js'}
    })
  },
}

for (const [name, parseCacheMinChars] of Object.entries(PATHS)) {
  await build({
    absWorkingDir: ROOT,
    entryPoints: [{in: `src/cli/fast/${name}.ts`, out: name}],
    outdir: out,
    outExtension: {'.js': '.cjs'},
    bundle: true,
    // CommonJS, so that src/cli/bundle-loader.ts can run it as a vm.Script and keep V8's code
    // cache of the whole run. A script cannot import(): dynamic imports become require(), which
    // loads the ES-module-only dependencies through require(esm) (bin/run.js checks for it).
    format: 'cjs',
    supported: {'dynamic-import': false},
    define: {
      'import.meta.url': '__bundleUrl',
      // config/parse-cache.ts: which texts the inlined parser parses every time, and its version for the entries' key.
      'globalThis.__provisioningParseCacheMinChars': String(parseCacheMinChars),
      'globalThis.__provisioningYamlVersion': JSON.stringify(yamlVersion),
    },
    banner: {js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;'},
    platform: 'node',
    target: 'node20',
    external,
    plugins: [lazyBuiltins],
    // Error rendering reads constructor names.
    keepNames: true,
    logLevel: 'warning',
  })
  // A script has no module loader to import() with: the build must have turned every one into require().
  if (/\bimport\(/.test(readFileSync(path.join(out, `${name}.cjs`), 'utf8'))) throw new Error(`${name}.cjs still holds an import()`)
}
