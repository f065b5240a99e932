import {ConfigError} from '../errors.js'
import {findCycle} from '../util/graph.js'
import {type ConfigTable, isTable} from '../config/types.js'

/** How "healthy" is decided; `process` (no check configured) means "the process is alive". */
export type HealthCheck =
  | {type: 'http'; url: string; status: number}
  | {type: 'tcp'; host: string; port: number}
  | {type: 'command'; command: string; args: string[]}
  | {type: 'file'; path: string}
  | {type: 'process'}

const HEALTH_TYPES = ['http', 'tcp', 'command', 'file'] as const

/** Services the CLI knows how to run itself (binary choice and generated config). */
const BUILTINS = ['oci-registry'] as const
export type Builtin = (typeof BUILTINS)[number]

/** One `platform.services.<name>` table, checked and with defaults applied. */
export interface ServiceDefinition {
  name: string
  description?: string
  builtin?: Builtin
  /** Binary name or path; empty for a builtin that picks its binary itself. */
  command: string
  args: string[]
  env: Record<string, string>
  cwd?: string
  port?: number
  health: HealthCheck
  dependsOn: string[]
  autoStart: boolean
  startTimeoutSeconds: number
  stopGraceSeconds: number
  /** What to install when the binary is missing. */
  install?: string
}

const DEFAULT_START_TIMEOUT_SECONDS = 30
const DEFAULT_STOP_GRACE_SECONDS = 10

const NAME = /^[a-z0-9][a-z0-9._-]*$/
const KNOWN_FIELDS = new Set([
  'description',
  'builtin',
  'command',
  'args',
  'env',
  'cwd',
  'port',
  'health',
  'depends_on',
  'auto_start',
  'start_timeout_seconds',
  'stop_grace_seconds',
  'install',
])

interface Problem {
  key: string
  message: string
}

/**
 * Reads `platform.services` of the merged config. Every invalid definition (wrong type,
 * unknown dependency, cycle, bad health type) is collected, and one ConfigError (exit 3)
 * names each key and the file that set it. A missing binary is not a problem here: that
 * is availability, decided when listing or starting.
 */
export function readDefinitions(values: ConfigTable, fileOf: (key: string) => string | undefined): ServiceDefinition[] {
  const platform = values.platform
  const services = isTable(platform) ? platform.services : undefined
  if (services === undefined) return []
  const problems: Problem[] = []
  if (!isTable(services)) {
    problems.push({key: 'platform.services', message: 'must be a table of service definitions ([platform.services.<name>])'})
    throw configError(problems, fileOf)
  }
  const definitions: ServiceDefinition[] = []
  for (const [name, raw] of Object.entries(services).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const definition = readOne(name, raw, problems)
    if (definition) definitions.push(definition)
  }
  const names = new Set(definitions.map((d) => d.name))
  for (const definition of definitions) {
    for (const dependency of definition.dependsOn) {
      if (!names.has(dependency))
        problems.push({
          key: `platform.services.${definition.name}.depends_on`,
          message: `unknown service "${dependency}" (defined: ${[...names].join(', ') || 'none'})`,
        })
    }
  }
  const cycle = findCycle(new Map(definitions.map((d) => [d.name, d.dependsOn.filter((n) => names.has(n))])))
  if (cycle) problems.push({key: `platform.services.${cycle[0]}.depends_on`, message: `dependency cycle: ${cycle.join(' -> ')}`})
  if (problems.length > 0) throw configError(problems, fileOf)
  return definitions
}

function readOne(name: string, raw: unknown, problems: Problem[]): ServiceDefinition | undefined {
  const base = `platform.services.${name}`
  if (!NAME.test(name)) problems.push({key: base, message: `invalid service name "${name}" (lower-case letters, digits, ".", "_", "-")`})
  if (!isTable(raw)) {
    problems.push({key: base, message: 'must be a table (command, args, port, health, depends_on, ...)'})
    return undefined
  }
  const before = problems.length
  const fail = (field: string, message: string) => problems.push({key: `${base}.${field}`, message})
  for (const field of Object.keys(raw)) if (!KNOWN_FIELDS.has(field)) fail(field, `unknown field (known: ${[...KNOWN_FIELDS].join(', ')})`)

  const text = (field: string): string | undefined => {
    const value = raw[field]
    if (value === undefined || value === '') return undefined
    if (typeof value !== 'string') fail(field, `must be a string, got ${JSON.stringify(value)}`)
    return typeof value === 'string' ? value : undefined
  }
  const list = (field: string): string[] => {
    const value = raw[field]
    if (value === undefined) return []
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' || typeof v === 'number')) {
      fail(field, `must be a list of strings, got ${JSON.stringify(value)}`)
      return []
    }
    return value.map(String)
  }
  const integer = (field: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    const value = raw[field]
    if (value === undefined) return undefined
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      fail(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`)
      return undefined
    }
    return n
  }
  const flag = (field: string): boolean => {
    const value = raw[field]
    if (value === undefined) return false
    if (typeof value !== 'boolean') fail(field, `must be true or false, got ${JSON.stringify(value)}`)
    return value === true
  }

  const builtinName = text('builtin')
  const builtin = builtinName === undefined ? undefined : (BUILTINS as readonly string[]).includes(builtinName) ? (builtinName as Builtin) : undefined
  if (builtinName !== undefined && !builtin) fail('builtin', `unknown builtin "${builtinName}" (known: ${BUILTINS.join(', ')})`)
  const command = text('command') ?? ''
  if (!command && !builtin) fail('command', 'is required (the binary to run, on PATH or an absolute path)')

  const env: Record<string, string> = {}
  if (raw.env !== undefined) {
    if (!isTable(raw.env)) fail('env', 'must be a table of NAME = "value"')
    else
      for (const [key, value] of Object.entries(raw.env)) {
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') env[key] = String(value)
        else fail(`env.${key}`, `must be a string, got ${JSON.stringify(value)}`)
      }
  }
  const port = integer('port', 1, 65_535)
  const health = readHealth(base, raw.health, port, problems)
  const definition: ServiceDefinition = {
    name,
    description: text('description'),
    builtin,
    command,
    args: list('args'),
    env,
    cwd: text('cwd'),
    port,
    health,
    dependsOn: [...new Set(list('depends_on'))],
    autoStart: flag('auto_start'),
    startTimeoutSeconds: integer('start_timeout_seconds', 1) ?? DEFAULT_START_TIMEOUT_SECONDS,
    stopGraceSeconds: integer('stop_grace_seconds', 0) ?? DEFAULT_STOP_GRACE_SECONDS,
    install: text('install'),
  }
  if (definition.dependsOn.includes(name)) fail('depends_on', `"${name}" depends on itself`)
  return problems.length === before ? definition : undefined
}

function readHealth(base: string, raw: unknown, port: number | undefined, problems: Problem[]): HealthCheck {
  const key = `${base}.health`
  // Without a check, a service with a port is healthy once it accepts connections.
  if (raw === undefined) return port ? {type: 'tcp', host: '127.0.0.1', port} : {type: 'process'}
  const fail = (field: string, message: string): HealthCheck => {
    problems.push({key: field ? `${key}.${field}` : key, message})
    return {type: 'process'}
  }
  if (!isTable(raw)) return fail('', 'must be a table such as {type = "http", url = "http://127.0.0.1:8080/health"}')
  const str = (field: string) => (typeof raw[field] === 'string' && raw[field] !== '' ? (raw[field] as string) : undefined)
  switch (raw.type) {
    case 'http': {
      const url = str('url') ?? (port ? `http://127.0.0.1:${port}/` : undefined)
      if (!url) return fail('url', 'is required for an http check (or give the service a port)')
      if (!/^https?:\/\//.test(url)) return fail('url', `must be an http:// or https:// URL, got ${JSON.stringify(url)}`)
      const status = raw.status ?? 200
      if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
        return fail('status', `must be an HTTP status code, got ${JSON.stringify(status)}`)
      return {type: 'http', url, status}
    }
    case 'tcp': {
      const checkPort = raw.port ?? port
      if (typeof checkPort !== 'number' || !Number.isInteger(checkPort) || checkPort < 1 || checkPort > 65_535)
        return fail('port', `is required for a tcp check (1-65535), got ${JSON.stringify(checkPort)}`)
      return {type: 'tcp', host: str('host') ?? '127.0.0.1', port: checkPort}
    }
    case 'command': {
      const command = str('command')
      if (!command) return fail('command', 'is required for a command check')
      const args = raw.args ?? []
      if (!Array.isArray(args)) return fail('args', 'must be a list of strings')
      return {type: 'command', command, args: args.map(String)}
    }
    case 'file': {
      const file = str('path')
      if (!file) return fail('path', 'is required for a file check')
      return {type: 'file', path: file}
    }
    default:
      return fail('type', `must be one of ${HEALTH_TYPES.join(', ')}, got ${JSON.stringify(raw.type)}`)
  }
}

function configError(problems: Problem[], fileOf: (key: string) => string | undefined): ConfigError {
  const line = (p: Problem) => {
    const file = fileOf(p.key)
    return `${p.key}: ${p.message}${file ? ` (${file})` : ''}`
  }
  const message =
    problems.length === 1
      ? `invalid service definition: ${line(problems[0])}`
      : `${problems.length} invalid service definitions:\n${problems.map((p) => `  - ${line(p)}`).join('\n')}`
  return new ConfigError(message, {
    hint: 'fix the [platform.services.<name>] tables named above; "provisioning config show platform --origin" shows where each value comes from',
    details: {problems: problems.map((p) => ({...p, file: fileOf(p.key)}))},
  })
}
