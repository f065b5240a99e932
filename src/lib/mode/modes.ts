import {writeFileAtomic} from '../util/atomic-write.js'
import {homePaths} from '../util/home.js'
import type {ConfigSelection, LoadedConfig} from '../config/loader.js'
import {readConfigSource} from '../config/source-file.js'
import {type ConfigTable, isTable} from '../config/types.js'
import {NotFoundError, ValidationError} from '../errors.js'
import {type ActiveMode, availableModes, modeTemplateFiles} from './active.js'
import {checkRequirements, type Requirement} from './requirements.js'
import {modePolicyFrom} from './settings.js'

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
  const mode = modePolicyFrom(details.settings)
  return {
    name: details.name,
    description: mode.description,
    active: details.name === active,
    authentication: `${mode.authenticationMethod}${mode.tokenTtl ? ` (${mode.tokenTtl})` : ''}`,
    deployment: mode.deploymentTarget,
    registry: `${mode.registryKind}${mode.registryTls ? ', tls' : ''}${mode.registrySignatures ? ', signed' : ''}`,
    locking: `${mode.lockingProvider}${mode.lockingRequired === false ? ' (optional)' : ''}`,
    limits: limitsText(mode.limits),
  }
}

/** The run's config as it would be with another mode active (the session's, with the mode overridden). */
export type ConfigWithMode = (mode: string) => Promise<LoadedConfig>

export async function listModes(selection: ConfigSelection): Promise<{current: string; modes: ModeSummary[]}> {
  const workspacePath = selection.workspace?.path
  const modes = await Promise.all(selection.availableModes.map(async (name) => summarize(await modeSettings(name, workspacePath), selection.mode.name)))
  return {current: selection.mode.name, modes}
}

export function currentMode(selection: ConfigSelection): ActiveMode {
  return selection.mode
}

export async function showMode(selection: ConfigSelection, name: string): Promise<ModeDetails & {summary: ModeSummary}> {
  const details = await modeSettings(name, selection.workspace?.path)
  return {...details, summary: summarize(details, selection.mode.name)}
}

export interface ModeValidation {
  mode: string
  valid: boolean
  requirements: Requirement[]
}

/** Checks a mode's requirements against the config as it would be with that mode active. */
export async function evaluateMode(selection: ConfigSelection, name: string | undefined, configWithMode: ConfigWithMode): Promise<ModeValidation> {
  const mode = name ?? selection.mode.name
  await modeSettings(mode, selection.workspace?.path)
  const loaded = await configWithMode(mode)
  const requirements = await checkRequirements(loaded.values, {home: selection.home, env: loaded.env, config: loaded})
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
export async function validateMode(selection: ConfigSelection, name: string | undefined, configWithMode: ConfigWithMode): Promise<ModeValidation> {
  const result = await evaluateMode(selection, name, configWithMode)
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
export async function switchMode(selection: ConfigSelection, name: string, force: boolean, configWithMode: ConfigWithMode): Promise<ModeSwitch> {
  const result = await evaluateMode(selection, name, configWithMode)
  if (!result.valid && !force) throw unmetError(result, `refusing to switch to ${name}`)
  await writeFileAtomic(homePaths.activeMode(selection.home), `# Active operational mode (managed by "provisioning mode switch")\nmode: ${name}\n`)
  // The selection's mode comes from the environment exactly when PROVISIONING_MODE is set (SPEC §7).
  const overridden = selection.mode.source === 'env'
  return {...result, previous: selection.mode.name, forced: force && !result.valid, ...(overridden ? {overriddenBy: 'PROVISIONING_MODE'} : {})}
}
