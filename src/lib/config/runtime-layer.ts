import {ConfigError, UsageError} from '../errors.js'
import {MAX_NESTING_DEPTH} from '../util/nesting.js'
import {mergeLayer, type OriginMap, tableFromPath} from './merge.js'
import type {ConfigTable} from './types.js'

/**
 * Variables that steer discovery (which home, workspace, env, infra, mode) rather than
 * name a config key; they are not mapped by the generic PROVISIONING_<A>__<B> rule.
 */
export const RESERVED_ENV = new Set([
  'PROVISIONING_HOME',
  'PROVISIONING_WORKSPACE',
  'PROVISIONING_ENV',
  'PROVISIONING_INFRA',
  'PROVISIONING_MODE',
  'PROVISIONING_DEBUG',
  // Sends every run through oclif (bin/run.js fast paths): a switch of the CLI, not of config.
  'PROVISIONING_NO_FAST_PATH',
  // A secret (the signing key passphrase, read by oci key generate / oci sign): never a config value.
  'PROVISIONING_SIGNING_PASSWORD',
])

/** `PROVISIONING_OCI__REGISTRY` → `oci.registry`; `undefined` for other variables. */
export function envVarKey(name: string): string | undefined {
  if (!name.startsWith('PROVISIONING_') || RESERVED_ENV.has(name)) return undefined
  const rest = name.slice('PROVISIONING_'.length)
  if (!rest) return undefined
  const parts = rest.split('__').map((part) => part.toLowerCase())
  return parts.every((part) => /^[a-z0-9][a-z0-9_-]*$/.test(part)) ? parts.join('.') : undefined
}

type TomlParse = (text: string) => Record<string, unknown>

const DECIMAL_INTEGER = /^[+-]?(0|[1-9]\d*)$/
/** Cannot be a TOML value: a bare word, host, path or URL (no quotes, brackets or spaces). */
const BARE_WORD = /^[A-Za-z_./][^\s"'[\]{},=#]*$/
const IPV4_HOST = /^\d{1,3}(\.\d{1,3}){3}(:\d+)?$/

/**
 * What `parse` would make of the common values without it (smol-toml is loaded only for
 * the rest): booleans, decimal integers, and strings that no TOML value can be.
 */
export function quickRuntimeValue(raw: string): {value: unknown} | undefined {
  if (raw === 'true' || raw === 'false') return {value: raw === 'true'}
  // `|| 0`: TOML reads -0 as 0.
  if (DECIMAL_INTEGER.test(raw) && Number.isSafeInteger(Number(raw))) return {value: Number(raw) || 0}
  if ((BARE_WORD.test(raw) && raw !== 'inf' && raw !== 'nan') || IPV4_HOST.test(raw)) return {value: raw}
  return undefined
}

/** Env and flag values are TOML values where they parse (`true`, `5`, `"x"`), else strings. */
export function parseRuntimeValue(raw: string, parse: TomlParse): unknown {
  try {
    return parse(`v = ${raw}`).v
  } catch {
    return raw
  }
}

export function parseSetFlag(assignment: string): {key: string; raw: string} {
  const eq = assignment.indexOf('=')
  const key = eq > 0 ? assignment.slice(0, eq).trim() : ''
  if (!key || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(key)) {
    throw new UsageError(`--set expects key.path=value, got "${assignment}"`, {
      hint: 'example: --set oci.registry=localhost:5000',
    })
  }
  if (key.split('.').length > MAX_NESTING_DEPTH) {
    throw new UsageError(`--set key "${key.slice(0, 60)}…" has more than ${MAX_NESTING_DEPTH} levels`, {
      hint: 'config keys are a few levels deep, e.g. --set oci.registry=localhost:5000',
    })
  }
  return {key, raw: assignment.slice(eq + 1)}
}

export interface RuntimeInputs {
  env: NodeJS.ProcessEnv
  sets: string[]
  /** Values the CLI derived from flags/env that select layers (environment, paths.base). */
  derived: Array<{key: string; value: unknown; source: string}>
}

/** Applies layer 7: derived values, then PROVISIONING_* variables (sorted), then --set flags in order. */
export async function applyRuntimeLayer(target: ConfigTable, origins: OriginMap, inputs: RuntimeInputs): Promise<number> {
  let parse: TomlParse | undefined
  const valueOf = async (raw: string): Promise<unknown> => {
    const quick = quickRuntimeValue(raw)
    if (quick) return quick.value
    if (!parse) {
      const toml = await import('smol-toml')
      parse = (text) => toml.parse(text, {maxDepth: MAX_NESTING_DEPTH})
    }
    return parseRuntimeValue(raw, parse)
  }
  let count = 0
  const apply = (key: string, value: unknown, source: string) => {
    mergeLayer(target, tableFromPath(key.split('.'), value), () => ({layer: 'runtime', source}), origins)
    count++
  }
  for (const {key, value, source} of inputs.derived) apply(key, value, source)
  const names = Object.keys(inputs.env).sort()
  for (const name of names) {
    const key = envVarKey(name)
    const raw = inputs.env[name]
    if (!key || raw === undefined) continue
    if (key.split('.').length > MAX_NESTING_DEPTH) {
      throw new ConfigError(`environment variable ${name.slice(0, 60)}… names a key more than ${MAX_NESTING_DEPTH} levels deep`, {
        hint: 'unset it; PROVISIONING_<A>__<B> variables name keys a few levels deep',
        details: {variable: name},
      })
    }
    apply(key, await valueOf(raw), name)
  }
  for (const assignment of inputs.sets) {
    const {key, raw} = parseSetFlag(assignment)
    apply(key, await valueOf(raw), `--set ${key}`)
  }
  return count
}
