import {statSync} from 'node:fs'
import path from 'node:path'

import {ConfigError, NotFoundError} from '../errors.js'
import {homePaths} from '../util/home.js'
import {templatePath} from '../util/package-root.js'
import {readGitInfo} from './git-info.js'
import {interpolate, needsGit} from './interpolate.js'
import {describeSite, parentKeyPath, winningAssignment} from './locate.js'
import {getPath, mergeLayer, type OriginMap} from './merge.js'
import {applyRuntimeLayer} from './runtime-layer.js'
import {checkSchema} from './schema.js'
import {type ConfigSource, prepareLineLookups, readConfigSource} from './source-file.js'
import {
  type ActiveMode,
  type Assignment,
  type ConfigProblem,
  type ConfigTable,
  type LayerName,
  type LayerReport,
  workspaceConfigFile,
  type WorkspaceRef,
} from './types.js'

/** How to load, past the workspace and mode (ConfigSelection). */
export interface ConfigLoadOptions {
  env?: NodeJS.ProcessEnv
  /** --env NAME */
  envName?: string
  /** --infra NAME */
  infra?: string
  /** --set key.path=value, in order */
  sets?: string[]
  /** Collect every problem instead of throwing at the first error (config validate). */
  tolerant?: boolean
  /** Resolve the line of every value (config show --origin). */
  lines?: boolean
  now?: () => Date
}

/**
 * What a command asks for: the global flags, plus the ways a run finds its workspace and
 * mode (session/select-config.ts turns these into a ConfigSelection).
 */
export interface LoadOptions extends ConfigLoadOptions {
  cwd?: string
  /** --workspace PATH|NAME */
  workspace?: string
  /** Load as if this mode were active (mode validate/switch). */
  mode?: string
}

/** Loads the config of a run's selection, with more options than its usual load (the session's loadConfig). */
export type ConfigLoader = (extra?: Pick<ConfigLoadOptions, 'tolerant' | 'lines'>) => Promise<LoadedConfig>

/**
 * The workspace and mode a run selected, and the mode files it may use: found above config
 * (workspace discovery, the active-mode file), so config reads no known workspaces or mode state.
 */
export interface ConfigSelection {
  /** $PROVISIONING_HOME (SPEC §4). */
  home: string
  /** The folder the run works in: relative paths on the command line resolve against it. */
  cwd: string
  workspace?: WorkspaceRef
  /** Set when the active workspace is registered but its folder is gone. */
  workspaceWarning?: string
  mode: ActiveMode
  /** Every mode name there is: the shipped templates and the workspace's config/modes. */
  availableModes: string[]
  /** The selected mode's files, lowest priority first. */
  modeFiles: string[]
}

export interface LoadedConfig {
  values: ConfigTable
  origins: OriginMap
  layers: LayerReport[]
  problems: ConfigProblem[]
  home: string
  /** The environment the config was loaded with (its PROVISIONING_* variables are in `values`). */
  env: NodeJS.ProcessEnv
  /** The run's working folder (ConfigSelection.cwd). */
  cwd: string
  mode: ActiveMode
  workspace?: WorkspaceRef
  workspaceWarning?: string
  environment?: string
  infra?: string
  /**
   * Where the effective value at `keyPath` was set, for messages: a key (`oci.registry`) or
   * a list item (`dependencies.extensions.modules.taskservs[1]`, located at the item's own
   * line, else at its list's key). `config/provisioning.yaml:12` for a file inside the
   * workspace, `~/…:N` inside the home folder, else the absolute path; the source for a
   * runtime value (`--set a.b`, `PROVISIONING_A__B`); `undefined` for a key nobody set.
   * Lines are looked up only by this call (loading the TOML line parser when the file is
   * TOML), never while loading.
   */
  locate(keyPath: string): Promise<string | undefined>
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/**
 * Loads the seven layers of SPEC §5.1 for the selected workspace and mode, merges,
 * interpolates and checks them. The caller has pointed the parse cache at the home
 * (useParseCache), as it parsed the known workspaces and the active-mode file before.
 */
export async function loadConfig(selection: ConfigSelection, options: ConfigLoadOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env
  const {home, workspace, mode} = selection

  const values: ConfigTable = {}
  const origins: OriginMap = new Map()
  const layers: LayerReport[] = []
  const problems: ConfigProblem[] = []
  const sources = new Map<string, ConfigSource>()

  const fail = (error: ConfigError) => {
    if (!options.tolerant) throw error
    const d = error.details as {file?: string; line?: number; column?: number}
    problems.push({severity: 'error', message: error.message, hint: error.hint, file: d.file, line: d.line, column: d.column})
  }

  const loadFiles = async (layer: LayerName, files: string[]) => {
    const report: LayerReport = {layer, file: files.at(-1), files: [], status: 'missing', keys: 0}
    layers.push(report)
    for (const file of files) {
      let source: ConfigSource | undefined
      try {
        source = await readConfigSource(file)
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error
        report.status = 'error'
        report.note = error.message
        fail(error)
        continue
      }
      if (!source) continue
      report.files?.push(file)
      report.file = file
      sources.set(file, source)
      if (report.status !== 'error') report.status = 'loaded'
      const before = countLeaves(origins, layer)
      mergeLayer(values, source.data, () => ({layer, file}), origins)
      report.keys += countLeaves(origins, layer) - before
    }
  }
  const notSelected = (layer: LayerName, note: string) => layers.push({layer, status: 'not-selected', note, keys: 0})

  await loadFiles('defaults', [templatePath('config.defaults.toml')])

  const modes = selection.availableModes
  if (modes.includes(mode.name)) await loadFiles('mode', selection.modeFiles)
  else {
    fail(new ConfigError(`unknown mode "${mode.name}" (from ${mode.origin})`, {hint: `use one of: ${modes.join(', ')}`, details: {mode: mode.name}}))
    notSelected('mode', `unknown mode ${mode.name}`)
  }

  await loadFiles('user', [homePaths.userConfig(home)])

  if (workspace) await loadFiles('workspace', [workspaceConfigFile(workspace.path)])
  else notSelected('workspace', selection.workspaceWarning ?? 'no workspace found')

  const configuredEnv = getPath(values, 'environment')
  const envName = options.envName ?? env.PROVISIONING_ENV ?? (typeof configuredEnv === 'string' && configuredEnv !== '' ? configuredEnv : undefined)
  const envSource = options.envName ? '--env' : env.PROVISIONING_ENV ? 'PROVISIONING_ENV' : undefined
  if (envName !== undefined && !NAME.test(envName)) {
    fail(new ConfigError(`invalid environment name "${envName}"`, {hint: 'use letters, digits, ".", "_" or "-" (e.g. dev, staging, prod)'}))
    notSelected('environment', `invalid name ${envName}`)
  } else if (!workspace) notSelected('environment', 'no workspace')
  else if (!envName) notSelected('environment', 'no environment selected (--env, PROVISIONING_ENV or "environment")')
  else await loadFiles('environment', [path.join(workspace.path, 'config', `${envName}-defaults.toml`)])

  const infra = options.infra ?? env.PROVISIONING_INFRA
  if (!infra) notSelected('infrastructure', 'no infrastructure selected (--infra or PROVISIONING_INFRA)')
  else if (!workspace) notSelected('infrastructure', 'no workspace')
  else {
    const dir = path.join(workspace.path, 'infra', infra)
    if (!NAME.test(infra) || !(await isDirectory(dir))) {
      throw new NotFoundError(`no infrastructure "${infra}" in workspace ${workspace.name}: ${dir} does not exist`, {
        hint: `create ${path.join('infra', infra, 'config.toml')} in the workspace, or pick an existing folder under ${path.join(workspace.path, 'infra')}`,
        details: {infra, workspace: workspace.path},
      })
    }
    await loadFiles('infrastructure', [path.join(dir, 'config.toml')])
  }

  const derived: Array<{key: string; value: unknown; source: string}> = []
  if (env.PROVISIONING_HOME) derived.push({key: 'paths.base', value: home, source: 'PROVISIONING_HOME'})
  if (envSource && envName) derived.push({key: 'environment', value: envName, source: envSource})
  const runtimeKeys = await applyRuntimeLayer(values, origins, {env, sets: options.sets ?? [], derived})
  layers.push({layer: 'runtime', status: runtimeKeys > 0 ? 'loaded' : 'missing', note: 'PROVISIONING_* variables, then --set', keys: runtimeKeys})

  const git = needsGit(values) ? await readGitInfo(workspace?.path) : undefined
  problems.push(
    ...dedupe(
      interpolate(values, origins, {
        env,
        now: options.now ?? (() => new Date()),
        git,
        workspace: workspace ? {name: workspace.name, path: workspace.path} : undefined,
      }),
    ),
  )

  const winner = (key: string) => origins.get(key)?.at(-1)
  problems.push(...checkSchema(values, (key) => ({file: winner(key)?.file ?? winner(key)?.source})))

  if (options.lines || problems.length > 0) {
    await prepareLineLookups()
    for (const [key, history] of origins) for (const entry of history) fillLine(entry, key, sources)
    for (const problem of problems) {
      if (problem.line === undefined && problem.key && problem.file) problem.line = sources.get(problem.file)?.lineOf(problem.key)
    }
  }

  const errors = problems.filter((p) => p.severity === 'error')
  if (errors.length > 0 && !options.tolerant) throw configErrorFrom(errors)

  const locate = async (keyPath: string): Promise<string | undefined> => {
    const won = winningAssignment(origins, keyPath)
    if (!won) return undefined
    const {key, assignment} = won
    const source = assignment.file ? sources.get(assignment.file) : undefined
    if (source?.format === 'toml') await prepareLineLookups()
    // The line of the path itself, else of its nearest enclosing item or key that has one:
    // `a.list[1].name` → `a.list[1]` (keys inside list items are not recorded) → `a.list` (a
    // parse-cache entry written before item lines were recorded).
    let line: number | undefined
    for (let at = keyPath; line === undefined && at.length > key.length; at = parentKeyPath(at)) line = source?.lineOf(at)
    line ??= assignment.line ?? source?.lineOf(key)
    return describeSite({file: assignment.file, line, source: assignment.source}, {workspace: workspace?.path, home: env.HOME || undefined})
  }

  return {
    values,
    origins,
    layers,
    problems,
    home,
    env,
    cwd: selection.cwd,
    mode,
    workspace,
    workspaceWarning: selection.workspaceWarning,
    environment: envName,
    infra,
    locate,
  }
}

function fillLine(entry: Assignment, key: string, sources: Map<string, ConfigSource>): void {
  if (entry.file && entry.line === undefined) entry.line = sources.get(entry.file)?.lineOf(key)
}

function countLeaves(origins: OriginMap, layer: LayerName): number {
  let n = 0
  for (const history of origins.values()) if (history.at(-1)?.layer === layer) n++
  return n
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>()
  return problems.filter((p) => !seen.has(p.message) && seen.add(p.message))
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.file ? `${problem.file}${problem.line ? `:${problem.line}` : ''}${problem.column ? `:${problem.column}` : ''}: ` : ''
  return problem.message.startsWith(problem.file ?? '\0') ? problem.message : `${where}${problem.message}`
}

function configErrorFrom(errors: ConfigProblem[]): ConfigError {
  const [first] = errors
  const message =
    errors.length === 1 ? formatProblem(first) : `${errors.length} configuration errors:\n${errors.map((p) => `  - ${formatProblem(p)}`).join('\n')}`
  return new ConfigError(message, {
    hint: errors.length === 1 ? first.hint : 'fix each error listed; "provisioning config validate" lists every problem with its file and line',
    details: {problems: errors},
  })
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return statSync(dir).isDirectory()
  } catch {
    return false
  }
}
