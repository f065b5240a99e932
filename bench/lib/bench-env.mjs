// Shared by the bench drivers: where things are, integer settings from the environment,
// the scratch-folder helper, and the hermetic environment every provisioning process runs in.
import {mkdirSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** bench/, the project root, and bench/results/ (gitignored). */
export const BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const ROOT = path.resolve(BENCH, '..')
export const RESULTS = path.join(BENCH, 'results')
/** The CLI under test: the driver script's private copy of the build (BENCH_APP), else the project itself. */
export const APP = process.env.BENCH_APP || ROOT
export const RUN_JS = path.join(APP, 'bin', 'run.js')

/** An integer setting from the environment (`BENCH_RUNS=60`), checked. */
export function intEnv(name, fallback, min = 0) {
  const v = process.env[name]
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${v}"`)
  return n
}

/** `dir('homes', 'a')`: a folder under `root`, created on first use. */
export function scratchDirs(root) {
  return (...p) => {
    const d = path.join(root, ...p)
    mkdirSync(d, {recursive: true})
    return d
  }
}

const DROPPED_PREFIXES = /^(PROVISIONING_|OCLIF_|XDG_|BENCH_|BARE_|ETCDCTL_)/
const DROPPED = new Set(['NODE_OPTIONS', 'NODE_ENV', 'DEBUG', 'NODE_DEBUG', 'SOURCE_DATE_EPOCH'])

/**
 * The caller's environment without anything that changes what oclif or the CLI do
 * (NODE_ENV=development would make oclif look for src/*.ts, user XDG dirs bring user-installed
 * plugins and caches), with private XDG folders from `xdgDir('config' | 'data' | 'cache')`.
 */
export function hermeticEnv(xdgDir) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (DROPPED_PREFIXES.test(k) || DROPPED.has(k)) continue
    env[k] = v
  }
  return {...env, XDG_CONFIG_HOME: xdgDir('config'), XDG_DATA_HOME: xdgDir('data'), XDG_CACHE_HOME: xdgDir('cache')}
}
