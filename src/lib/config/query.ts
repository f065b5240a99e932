import {ConfigError, NotFoundError} from '../errors.js'
import {isSecretKey, redact} from '../util/redact.js'
import {type ConfigLoader, formatProblem, type LoadedConfig} from './loader.js'
import {getPath, leaves} from './merge.js'
import {type ConfigProblem, type ConfigTable, isTable, type LayerReport, type Origin} from './types.js'

const MASK = '***'

export interface ValueOrigin extends Origin {
  key: string
  value: unknown
  /** Earlier assignments this value replaced, most recent first. */
  overridden: Array<Origin & {value: unknown}>
}

export interface ConfigShowResult {
  key?: string
  value: unknown
  mode: string
  workspace?: {name: string; path: string}
  environment?: string
  infra?: string
  origins?: ValueOrigin[]
}

/**
 * What `config show/get` may print of a value: everything under a secret key name is
 * masked, tables and lists are walked, and any other string is redacted as free text (a
 * `https://user:password@host` URL, a `password=…` inside a DSN).
 */
function masked(keyPath: string, value: unknown): unknown {
  if (isSecretKey(keyPath)) return MASK
  if (typeof value === 'string') return redact(value)
  if (Array.isArray(value)) return value.map((item) => masked(keyPath, item))
  if (!isTable(value)) return value
  const out: ConfigTable = {}
  for (const [key, item] of Object.entries(value)) out[key] = masked(keyPath ? `${keyPath}.${key}` : key, item)
  return out
}

function missingKey(loaded: LoadedConfig, key: string): NotFoundError {
  const top = Object.keys(loaded.values).sort().join(', ')
  return new NotFoundError(`no config key "${key}"`, {
    hint: `"provisioning config show" lists every key; top-level tables: ${top}`,
    details: {key},
  })
}

export async function showConfig(load: ConfigLoader, key?: string, withOrigin = false): Promise<ConfigShowResult> {
  const loaded = await load({lines: withOrigin})
  const value = key ? getPath(loaded.values, key) : loaded.values
  if (value === undefined) throw missingKey(loaded, key ?? '')
  const result: ConfigShowResult = {
    ...(key ? {key} : {}),
    value: masked(key ?? '', value),
    mode: loaded.mode.name,
    ...(loaded.workspace ? {workspace: {name: loaded.workspace.name, path: loaded.workspace.path}} : {}),
    ...(loaded.environment ? {environment: loaded.environment} : {}),
    ...(loaded.infra ? {infra: loaded.infra} : {}),
  }
  if (withOrigin) {
    const keys = isTable(value) ? [...leaves(value, key ?? '')].map(([k]) => k) : [key as string]
    result.origins = keys.map((k) => originOf(loaded, k))
  }
  return result
}

function originOf(loaded: LoadedConfig, key: string): ValueOrigin {
  const history = loaded.origins.get(key) ?? []
  const strip = ({value: _value, ...origin}: Origin & {value: unknown}) => origin
  const last = history.at(-1)
  return {
    key,
    value: masked(key, getPath(loaded.values, key)),
    ...(last ? strip(last) : {layer: 'defaults'}),
    overridden: history
      .slice(0, -1)
      .reverse()
      .map((entry) => ({...strip(entry), value: masked(key, entry.value)})),
  }
}

export async function getConfigValue(loaded: LoadedConfig, key: string): Promise<{key: string; value: unknown}> {
  const value = getPath(loaded.values, key)
  if (value === undefined) throw missingKey(loaded, key)
  return {key, value: masked(key, value)}
}

export interface ConfigValidateResult {
  valid: boolean
  errors: ConfigProblem[]
  warnings: ConfigProblem[]
  layers: LayerReport[]
}

/**
 * Loads every layer tolerantly and reports all problems at once: returns the result
 * when there is no error (warnings allowed), else throws one ConfigError listing all.
 */
export async function validateConfig(
  load: ConfigLoader,
  /** Problems areas above config find in its values (repository declarations), reported with the loader's own. */
  more: (loaded: LoadedConfig) => Promise<ConfigProblem[]> = async () => [],
): Promise<ConfigValidateResult> {
  const loaded = await load({tolerant: true, lines: true})
  const problems = [...loaded.problems, ...(await more(loaded))]
  const errors = problems.filter((p) => p.severity === 'error')
  const warnings = problems.filter((p) => p.severity === 'warning')
  if (loaded.workspaceWarning) warnings.push({severity: 'warning', message: loaded.workspaceWarning, hint: 'provisioning workspace list'})
  const result = {valid: errors.length === 0, errors, warnings, layers: loaded.layers}
  if (errors.length > 0) {
    const list = (items: ConfigProblem[]) => items.map((p) => `  - ${formatProblem(p)}${p.hint ? `\n      fix: ${p.hint}` : ''}`).join('\n')
    throw new ConfigError(
      `configuration has ${errors.length} error(s)${warnings.length > 0 ? ` and ${warnings.length} warning(s)` : ''}:\n${list(errors)}${warnings.length > 0 ? `\nwarnings:\n${list(warnings)}` : ''}`,
      {hint: 'fix the errors listed, then run "provisioning config validate" again', details: result as unknown as Record<string, unknown>},
    )
  }
  return result
}

export async function listLayers(load: ConfigLoader): Promise<{mode: string; workspace?: string; layers: LayerReport[]}> {
  const loaded = await load({tolerant: true})
  return {mode: loaded.mode.name, workspace: loaded.workspace?.path, layers: loaded.layers}
}
