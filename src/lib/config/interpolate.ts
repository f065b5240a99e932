import os from 'node:os'
import path from 'node:path'

import {getPath, type OriginMap} from './merge.js'
import {type ConfigProblem, type ConfigTable, isTable} from './types.js'

const PLACEHOLDER = /\{\{\s*([^{}]+?)\s*\}\}/g

export interface InterpolationContext {
  env: NodeJS.ProcessEnv
  now: () => Date
  /** Computed only when some value references git (see needsGit). */
  git?: {branch: string; commit: string}
  workspace?: {name: string; path: string}
}

/** True when some string value references `{{git.*}}`, so git is run only when needed. */
export function needsGit(values: ConfigTable): boolean {
  const mentionsGit = (value: unknown): boolean => {
    if (typeof value === 'string') return /\{\{\s*git\./.test(value)
    if (Array.isArray(value)) return value.some(mentionsGit)
    return isTable(value) && Object.values(value).some(mentionsGit)
  }
  return mentionsGit(values)
}

// Keys whose values are paths get a leading `~/` expanded to the home folder (SPEC §5.2).
function isPathKey(keyPath: string): boolean {
  return keyPath.startsWith('paths.') || /(^|[._])(path|dir|file|home)$/.test(keyPath)
}

/**
 * References followed from one value (`a1 -> a2 -> …`). Real chains are a few steps
 * (oci.cache.dir -> paths.cache -> paths.base); each step is several nested calls, and
 * a generated file with thousands of steps would overflow the stack.
 */
export const MAX_REFERENCE_DEPTH = 32
/**
 * Characters one value may grow to by interpolation, and all interpolated values
 * together. Each level of `b2 = "{{b1}}{{b1}}"` doubles the text: 40 lines of config
 * would ask for terabytes.
 */
export const MAX_INTERPOLATED_VALUE_CHARS = 1024 * 1024
export const MAX_INTERPOLATED_TOTAL_CHARS = 64 * 1024 * 1024

class Unresolvable extends Error {}
/** Stops the whole pass: past a limit every further value would report the same. */
class LimitReached extends Unresolvable {}

/**
 * Replaces `{{…}}` placeholders in every string value, in place. References to other
 * keys resolve recursively; a cycle or an unknown variable becomes a problem naming the
 * key and the file that set it. A value that is exactly one placeholder of a non-string
 * key keeps that key's type (`"{{oci.concurrency}}"` stays a number).
 */
export function interpolate(values: ConfigTable, origins: OriginMap, ctx: InterpolationContext): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const done = new Set<string>()
  const resolving: string[] = []

  const where = (keyPath: string) => {
    const history = origins.get(keyPath)
    const last = history?.[history.length - 1]
    return {file: last?.file ?? last?.source, layer: last?.layer}
  }
  const fail = (keyPath: string, message: string, hint: string, stop = false): never => {
    const {file} = where(keyPath)
    problems.push({severity: 'error', key: keyPath, file, message: `${keyPath}: ${message}`, hint})
    throw stop ? new LimitReached() : new Unresolvable()
  }
  let totalChars = 0
  const grown = (keyPath: string, chars: number) => {
    const growth =
      'values that reference one another several times grow exponentially ("{{a}}{{a}}" doubles at each level); reference a value once, or write it out'
    if (chars > MAX_INTERPOLATED_VALUE_CHARS)
      fail(keyPath, `interpolation makes the value longer than ${MAX_INTERPOLATED_VALUE_CHARS} characters`, growth, true)
    totalChars += chars
    if (totalChars > MAX_INTERPOLATED_TOTAL_CHARS) fail(keyPath, `interpolated values together pass ${MAX_INTERPOLATED_TOTAL_CHARS} characters`, growth, true)
  }

  const special = (name: string, keyPath: string): {found: boolean; value?: unknown} => {
    const [scope, ...restParts] = name.split('.')
    const rest = restParts.join('.')
    switch (scope) {
      case 'env': {
        const value = ctx.env[rest]
        if (value === undefined) fail(keyPath, `environment variable ${rest} is not set (in {{env.${rest}}})`, `export ${rest}=… or change the value`)
        return {found: true, value}
      }
      case 'now': {
        const now = ctx.now()
        const table: Record<string, unknown> = {
          date: now.toISOString().slice(0, 10),
          iso: now.toISOString(),
          timestamp: Math.floor(now.getTime() / 1000),
        }
        if (!(rest in table)) fail(keyPath, `unknown variable {{now.${rest}}}`, 'use now.date, now.iso or now.timestamp')
        return {found: true, value: table[rest]}
      }
      case 'git': {
        if (rest !== 'branch' && rest !== 'commit') fail(keyPath, `unknown variable {{git.${rest}}}`, 'use git.branch or git.commit')
        return {found: true, value: ctx.git?.[rest as 'branch' | 'commit'] ?? ''}
      }
      case 'workspace': {
        if (rest !== 'name' && rest !== 'path') return {found: false}
        if (!ctx.workspace) fail(keyPath, `{{workspace.${rest}}} is used but no workspace is active`, 'pass --workspace, or run inside a workspace folder')
        return {found: true, value: ctx.workspace?.[rest as 'name' | 'path']}
      }
      default:
        return {found: false}
    }
  }

  const lookup = (name: string, keyPath: string): unknown => {
    const builtin = special(name, keyPath)
    if (builtin.found) return builtin.value
    if (resolving.includes(name)) {
      const cycle = [...resolving.slice(resolving.indexOf(name)), name].join(' -> ')
      fail(
        keyPath,
        `interpolation cycle: ${cycle}`,
        `break the cycle by giving one of ${[...new Set(resolving.slice(resolving.indexOf(name)))].join(', ')} a literal value`,
      )
    }
    if (resolving.length > MAX_REFERENCE_DEPTH) {
      const chain = [...resolving.slice(0, 3), '…', ...resolving.slice(-2), name].join(' -> ')
      fail(
        keyPath,
        `interpolation follows more than ${MAX_REFERENCE_DEPTH} references in a row (${chain})`,
        'give a key in the middle of the chain a literal value; real chains are a few steps',
        true,
      )
    }
    const target = getPath(values, name)
    if (target === undefined) fail(keyPath, `unknown variable {{${name}}}`, `define ${name} in a config layer, or use {{env.NAME}} for environment variables`)
    if (isTable(target)) fail(keyPath, `{{${name}}} refers to a table, not a value`, `name a single value such as ${name}.<key>`)
    resolveKey(name)
    return getPath(values, name)
  }

  const render = (template: string, keyPath: string): unknown => {
    const whole = /^\{\{\s*([^{}]+?)\s*\}\}$/.exec(template)
    if (whole) {
      const value = lookup(whole[1], keyPath)
      // The same string again, not a copy; but shown once more in every output.
      if (typeof value === 'string') grown(keyPath, value.length)
      return value
    }
    let chars = template.length
    const rendered = template.replace(PLACEHOLDER, (_m, name: string) => {
      const value = lookup(name, keyPath)
      const text = Array.isArray(value) ? value.join(',') : String(value)
      // Checked piece by piece: the whole text may be too large to build at all.
      chars += text.length
      if (chars > MAX_INTERPOLATED_VALUE_CHARS) grown(keyPath, chars)
      return text
    })
    grown(keyPath, rendered.length)
    return rendered
  }

  // `keyPath` is the config key (problems name it and its file); `pathKey` decides `~/`
  // expansion and extends into the tables of a list (`servers[].data_dir`).
  const renderValue = (value: unknown, keyPath: string, pathKey = keyPath): unknown => {
    if (typeof value === 'string') {
      const rendered = value.includes('{{') ? render(value, keyPath) : value
      return typeof rendered === 'string' && isPathKey(pathKey) && (rendered === '~' || rendered.startsWith('~/'))
        ? path.join(os.homedir(), rendered.slice(2))
        : rendered
    }
    if (Array.isArray(value)) return value.map((item) => renderValue(item, keyPath, pathKey))
    if (isTable(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderValue(item, keyPath, `${pathKey}.${key}`)]))
    return value
  }

  // `parts` are the key's own segments: a key may hold a dot (`repositories."a.b"`, a quoted
  // TOML key), so the dotted path is for messages only and never split to find the value.
  function resolveKey(keyPath: string, parts = keyPath.split('.')): void {
    if (done.has(keyPath)) return
    resolving.push(keyPath)
    try {
      const parent = parts.slice(0, -1).reduce<ConfigTable>((table, part) => table[part] as ConfigTable, values)
      const leaf = parts[parts.length - 1]
      parent[leaf] = renderValue(parent[leaf], keyPath)
      done.add(keyPath)
    } finally {
      resolving.pop()
    }
  }

  for (const [keyPath, parts] of [...leafSegments(values)]) {
    try {
      resolveKey(keyPath, parts)
    } catch (error) {
      if (!(error instanceof Unresolvable)) throw error
      if (error instanceof LimitReached) break
      done.add(keyPath)
    }
  }
  return problems
}

/** Every leaf's dotted key path (for messages) and its segments (to reach it). */
function* leafSegments(table: ConfigTable, prefix: string[] = []): Generator<[string, string[]]> {
  for (const [key, value] of Object.entries(table)) {
    const parts = [...prefix, key]
    if (isTable(value)) yield* leafSegments(value, parts)
    else yield [parts.join('.'), parts]
  }
}
