import type {ActiveMode} from '../../lib/mode/active.js'
import type {ModeDetails, ModeSummary, ModeSwitch, ModeValidation} from '../../lib/mode/modes.js'
import {keyValues, table} from './table.js'

export function formatModeList(result: {current: string; modes: ModeSummary[]}): string {
  return table(
    ['', 'mode', 'authentication', 'deployment', 'registry', 'locking', 'limits'],
    result.modes.map((m) => [m.active ? '*' : '', m.name, m.authentication, m.deployment, m.registry, m.locking, m.limits]),
  )
}

export function formatCurrent(mode: ActiveMode): string {
  return mode.name
}

export async function formatModeShow(result: ModeDetails & {summary: ModeSummary}): Promise<string> {
  const {stringify} = await import('yaml')
  const s = result.summary
  return `${keyValues([
    ['mode', `${s.name}${s.active ? ' (active)' : ''}`],
    ['description', s.description],
    ['authentication', s.authentication],
    ['deployment', s.deployment],
    ['registry', s.registry],
    ['locking', s.locking],
    ['limits', s.limits],
    ['files', result.files.join(', ')],
  ])}\n\nsettings (config layer 2):\n${stringify(result.settings).trimEnd()}`
}

function requirementLines(result: ModeValidation): string {
  if (result.requirements.length === 0) return '  (no requirements)'
  return result.requirements.map((r) => `  ${r.met ? 'ok ' : 'MISSING'} ${r.description}: ${r.actual}${r.met ? '' : `\n      fix: ${r.fix}`}`).join('\n')
}

export function formatModeValidate(result: ModeValidation): string {
  return `mode ${result.mode}: all ${result.requirements.length} requirement(s) met\n${requirementLines(result)}`
}

export function formatModeSwitch(result: ModeSwitch): string {
  const lines = [
    result.previous === result.mode && !result.forced
      ? `mode is already ${result.mode}`
      : `switched mode: ${result.previous} -> ${result.mode}${result.forced ? ' (forced; requirements unmet)' : ''}`,
  ]
  if (result.forced) lines.push(requirementLines(result))
  if (result.overriddenBy) lines.push(`note: ${result.overriddenBy} is set and still overrides the active mode in this shell`)
  return lines.join('\n')
}
