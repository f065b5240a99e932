import {writeFileAtomic} from '../util/atomic-write.js'
import {homePaths} from '../util/home.js'
import {type LoadOptions} from '../config/loader.js'
import {getPath} from '../config/merge.js'
import {readConfigSource} from '../config/source-file.js'
import {type ConfigTable, isTable} from '../config/types.js'
import {NotFoundError, ValidationError} from '../errors.js'
import {activeMode, type ActiveMode, availableModes, modeTemplateFiles} from './active.js'
import {checkRequirements, type Requirement} from './requirements.js'
import {selectAndLoadConfig} from '../session/select-config.js'

export interface ModeSummary {
  name: string
  description: string
  active: boolean
  authentication: string
  deployment: string
  registry: string
  locking: string
  limits: string
}

export interface ModeDetails {
  name: string
  files: string[]
  settings: ConfigTable
}

async function modeSettings(name: string, workspacePath?: string): Promise<ModeDetails> {
  const settings: ConfigTable = {}
  const files: string[] = []
  for (const file of modeTemplateFiles(name, workspacePath)) {
    const source = await readConfigSource(file)
    if (!source) continue
    files.push(file)
    deepAssign(settings, source.data)
  }
  if (files.length === 0) {
    const known = await availableModes(workspacePath)
    throw new NotFoundError(`no mode "${name}"`, {hint: `available modes: ${known.join(', ')}`, details: {mode: name}})
  }
  return {name, files, settings}
}

function deepAssign(target: ConfigTable, source: ConfigTable): void {
  for (const [key, value] of Object.entries(source)) {
    if (isTable(value) && isTable(target[key])) deepAssign(target[key] as ConfigTable, value)
    else target[key] = value
  }
}

function limitsText(limits: unknown): string {
  if (!isTable(limits)) return ''
  if (limits.unlimited === true) return 'unlimited'
  return `${limits.servers ?? '?'} servers, ${limits.cores ?? '?'} cores, ${limits.memory_gb ?? '?'} GB`
}

function summarize(details: ModeDetails, active: string): ModeSummary {
  const s = details.settings
  const at = (key: string) => {
    const value = getPath(s, key)
    return value === undefined ? '' : String(value)
  }
  const ttl = at('mode.authentication.token_ttl')
  return {
    name: details.name,
    description: at('mode.description'),
    active: details.name === active,
    authentication: `${at('mode.authentication.method')}${ttl ? ` (${ttl})` : ''}`,
    deployment: at('mode.deployment.target'),
    registry: `${at('mode.registry.kind')}${getPath(s, 'mode.registry.tls_enabled') === true ? ', tls' : ''}${getPath(s, 'mode.registry.verify_signatures') === true ? ', signed' : ''}`,
    locking: `${at('mode.locking.provider')}${getPath(s, 'mode.locking.required') === false ? ' (optional)' : ''}`,
    limits: limitsText(getPath(s, 'mode.limits')),
  }
}

async function context(options: LoadOptions): Promise<{home: string; workspacePath?: string; current: ActiveMode}> {
  const {provisioningHome} = await import('../util/home.js')
  const {discoverWorkspace} = await import('../workspace/discover.js')
  const env = options.env ?? process.env
  const home = provisioningHome(env)
  const {workspace} = await discoverWorkspace({flag: options.workspace, env, cwd: options.cwd ?? process.cwd(), home})
  return {home, workspacePath: workspace?.path, current: await activeMode(home, env)}
}

export async function listModes(options: LoadOptions): Promise<{current: string; modes: ModeSummary[]}> {
  const {workspacePath, current} = await context(options)
  const names = await availableModes(workspacePath)
  const modes = await Promise.all(names.map(async (name) => summarize(await modeSettings(name, workspacePath), current.name)))
  return {current: current.name, modes}
}

export async function currentMode(options: LoadOptions): Promise<ActiveMode> {
  return (await context(options)).current
}

export async function showMode(options: LoadOptions, name: string): Promise<ModeDetails & {summary: ModeSummary}> {
  const {workspacePath, current} = await context(options)
  const details = await modeSettings(name, workspacePath)
  return {...details, summary: summarize(details, current.name)}
}

export interface ModeValidation {
  mode: string
  valid: boolean
  requirements: Requirement[]
}

/** Checks a mode's requirements against the config as it would be with that mode active. */
export async function evaluateMode(options: LoadOptions, name?: string): Promise<ModeValidation> {
  const {workspacePath, current, home} = await context(options)
  const mode = name ?? current.name
  await modeSettings(mode, workspacePath)
  const loaded = await selectAndLoadConfig({...options, mode})
  const requirements = await checkRequirements(loaded.values, {home, env: options.env ?? process.env})
  return {mode, valid: requirements.every((r) => r.met), requirements}
}

function unmetError(result: ModeValidation, action: string): ValidationError {
  const unmet = result.requirements.filter((r) => !r.met)
  const lines = unmet.map((r) => `  - ${r.description}: ${r.actual}\n      fix: ${r.fix}`)
  return new ValidationError(`${action}: mode ${result.mode} has ${unmet.length} unmet requirement(s):\n${lines.join('\n')}`, {
    hint: action.startsWith('refusing') ? `fix them and retry, or pass --force to switch anyway` : 'fix each requirement listed, then validate again',
    details: result as unknown as Record<string, unknown>,
  })
}

/** `mode validate`: returns when every requirement is met, else a ValidationError (exit 10) lists them all. */
export async function validateMode(options: LoadOptions, name?: string): Promise<ModeValidation> {
  const result = await evaluateMode(options, name)
  if (!result.valid) throw unmetError(result, 'validation failed')
  return result
}

export interface ModeSwitch extends ModeValidation {
  previous: string
  forced: boolean
  /** Set when PROVISIONING_MODE overrides the file just written. */
  overriddenBy?: string
}

/** Validates, then records the mode in $PROVISIONING_HOME/config/active-mode.yaml. */
export async function switchMode(options: LoadOptions, name: string, force: boolean): Promise<ModeSwitch> {
  const env = options.env ?? process.env
  const {home, current} = await context(options)
  const result = await evaluateMode(options, name)
  if (!result.valid && !force) throw unmetError(result, `refusing to switch to ${name}`)
  await writeFileAtomic(homePaths.activeMode(home), `# Active operational mode (managed by "provisioning mode switch")\nmode: ${name}\n`)
  return {...result, previous: current.name, forced: force && !result.valid, ...(env.PROVISIONING_MODE ? {overriddenBy: 'PROVISIONING_MODE'} : {})}
}
