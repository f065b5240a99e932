/**
 * The argument shapes that scripts run most (`--version`, `config get KEY`, `dep resolve`
 * following its lock) answered without loading oclif: @oclif/core alone is about half of a
 * start. This file decides, from argv and the environment only, whether a run may take a fast
 * path; it imports nothing so that every other run pays only for reading it.
 *
 * A fast path must print exactly what the oclif command prints (the e2e tests compare them
 * byte for byte, with PROVISIONING_NO_FAST_PATH=1 as the other side). So anything unusual
 * goes to oclif: other flags, repeated flags, `--`, colour (oclif colours JSON on a terminal),
 * listr2 progress on a terminal, DEBUG output.
 */

export type FastPath =
  | {command: 'version'}
  | {command: 'config get'; key: string; json: boolean}
  | {command: 'dep resolve'; json: boolean; quiet: boolean; frozen: boolean; offline: boolean}
  | {command: 'oci push'; positionals: string[]; json: boolean; quiet: boolean; dryRun: boolean; force: boolean}

/**
 * The bundle that runs each path: `dist/fast/NAME.cjs`, built from `src/cli/fast/NAME.ts` by
 * scripts/bundle-fast-path.mjs, exporting `run(fast, root): Promise<boolean>` (false: go to oclif
 * after all, decided before anything is printed). One self-contained file per path: loading a
 * module costs more than its code (resolution, stat calls, package scope lookups), so
 * `config get` loads one file, not the ~20 chunks a shared split build gave it.
 */
export const FAST_PATH_BUNDLES = {
  version: 'version',
  'config get': 'config-get',
  'dep resolve': 'dep-resolve',
  'oci push': 'oci-push',
} as const satisfies Record<FastPath['command'], string>

/** Asked only where the answer matters: finding out loads node:tty, which loads node:net (~4 ms). */
export interface Terminal {
  stdoutIsTTY(): boolean
  stderrIsTTY(): boolean
}

/** A config key as `config get` takes it: dotted names, never a flag. */
const CONFIG_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/**
 * Whether this Node runs the fast-path bundles: they are CommonJS (bundle-loader.ts says why)
 * and require() the ES-module-only packages they reach. That needs require(esm), which prints
 * an ExperimentalWarning on stderr before Node 20.19, 22.13 and 23.5; there oclif runs instead.
 */
export function runsBundles(version: string, requireModule: boolean | undefined): boolean {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number)
  const quiet = major > 23 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13) || (major === 20 && minor >= 19)
  return requireModule === true && quiet
}

export function fastPathFor(argv: readonly string[], env: NodeJS.ProcessEnv, terminal: Terminal): FastPath | undefined {
  if (env.PROVISIONING_NO_FAST_PATH || env.DEBUG || env.PROVISIONING_DEBUG) return undefined
  if (argv.length === 1 && argv[0] === '--version') return {command: 'version'}
  const [topic, verb, ...rest] = argv
  if (topic === 'config' && verb === 'get') return configGet(rest, env, terminal)
  if (topic === 'dep' && verb === 'resolve') return depResolve(rest, env, terminal)
  if (topic === 'oci' && verb === 'push') return ociPush(rest, env, terminal)
  return undefined
}

function configGet(rest: readonly string[], env: NodeJS.ProcessEnv, terminal: Terminal): FastPath | undefined {
  const [key, ...flags] = rest
  if (key === undefined || !CONFIG_KEY.test(key)) return undefined
  const seen = flagSet(flags, ['--json'])
  if (!seen) return undefined
  const json = seen.has('--json')
  if (json && colouredJson(env, terminal)) return undefined
  return {command: 'config get', key, json}
}

function depResolve(rest: readonly string[], env: NodeJS.ProcessEnv, terminal: Terminal): FastPath | undefined {
  const seen = flagSet(rest, ['--json', '--quiet', '-q', '--frozen', '--offline'])
  if (!seen || (seen.has('--quiet') && seen.has('-q'))) return undefined
  const json = seen.has('--json')
  const quiet = seen.has('--quiet') || seen.has('-q')
  if (json && colouredJson(env, terminal)) return undefined
  // On a terminal without --json/--quiet/CI the command draws listr2 progress: oclif's path.
  if (!json && !quiet && !env.CI && terminal.stderrIsTTY()) return undefined
  return {command: 'dep resolve', json, quiet, frozen: seen.has('--frozen'), offline: seen.has('--offline')}
}

function ociPush(rest: readonly string[], env: NodeJS.ProcessEnv, terminal: Terminal): FastPath | undefined {
  // Folders and at most a name and a version; signing, a target registry or namespace, other
  // flags and `--` (after which a folder could start with a dash) go to oclif.
  const positionals = rest.filter((arg) => !arg.startsWith('-'))
  const seen = flagSet(
    rest.filter((arg) => arg.startsWith('-')),
    ['--json', '--quiet', '-q', '--dry-run', '--force'],
  )
  if (positionals.length === 0 || !seen || (seen.has('--quiet') && seen.has('-q'))) return undefined
  // oclif orders repeated arguments by their first place (`A B A` → `A A B`): its path keeps that.
  if (new Set(positionals).size !== positionals.length) return undefined
  const json = seen.has('--json')
  const quiet = seen.has('--quiet') || seen.has('-q')
  if (json && colouredJson(env, terminal)) return undefined
  if (!json && !quiet && !env.CI && terminal.stderrIsTTY()) return undefined
  return {command: 'oci push', positionals, json, quiet, dryRun: seen.has('--dry-run'), force: seen.has('--force')}
}

/** The flags given, when each is one of `allowed` and none is repeated; otherwise undefined. */
function flagSet(flags: readonly string[], allowed: readonly string[]): Set<string> | undefined {
  const seen = new Set<string>()
  for (const flag of flags) {
    if (!allowed.includes(flag) || seen.has(flag)) return undefined
    seen.add(flag)
  }
  return seen
}

/** oclif colours a JSON result on a terminal unless NO_COLOR (base-command.ts logJson). */
function colouredJson(env: NodeJS.ProcessEnv, terminal: Terminal): boolean {
  return !env.NO_COLOR && terminal.stdoutIsTTY()
}
