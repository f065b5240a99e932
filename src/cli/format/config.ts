import path from 'node:path'

import type {ConfigShowResult, ConfigValidateResult, ValueOrigin} from '../../lib/config/query.js'
import type {LayerReport, Origin} from '../../lib/config/types.js'
import {formatProblem} from '../../lib/config/loader.js'
import {table} from './table.js'

/** Workspace files are shown relative to the workspace (infra/prod/config.toml:3). */
function place(origin: Origin, workspace?: string): string {
  if (origin.source) return origin.source
  if (!origin.file) return ''
  const file = workspace && origin.file.startsWith(workspace + path.sep) ? path.relative(workspace, origin.file) : origin.file
  return origin.line ? `${file}:${origin.line}` : file
}

export function scalar(value: unknown): string {
  if (typeof value === 'string') return value
  if (value instanceof Date) return value.toISOString()
  return JSON.stringify(value)
}

function literal(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : scalar(value)
}

export async function formatConfigShow(result: ConfigShowResult): Promise<string> {
  if (result.origins) return formatOrigins(result.origins, result.workspace?.path)
  if (typeof result.value !== 'object' || result.value === null || Array.isArray(result.value)) return scalar(result.value)
  const {stringify} = await import('yaml')
  return stringify(result.value).trimEnd()
}

function formatOrigins(origins: ValueOrigin[], workspace?: string): string {
  const lines: string[] = []
  for (const origin of origins) {
    lines.push(`${origin.key} = ${literal(origin.value)}`, `    ${origin.layer.padEnd(14)} ${place(origin, workspace)}`)
    for (const old of origin.overridden) lines.push(`    overrides ${old.layer} ${place(old, workspace)} = ${literal(old.value)}`)
  }
  return lines.join('\n')
}

export function formatValidate(result: ConfigValidateResult): string {
  const loaded = result.layers.filter((l) => l.status === 'loaded').length
  const lines = [`configuration is valid (${loaded} layer(s) loaded, ${result.warnings.length} warning(s))`]
  for (const warning of result.warnings) lines.push(`  warning: ${formatProblem(warning)}${warning.hint ? ` (${warning.hint})` : ''}`)
  return lines.join('\n')
}

export function formatLayers(result: {mode: string; workspace?: string; layers: LayerReport[]}): string {
  const rows = result.layers.map((layer, index) => [
    String(index + 1),
    layer.layer,
    layer.status,
    layer.keys,
    layer.status === 'error' ? layer.note : layer.files && layer.files.length > 1 ? layer.files.join(' + ') : (layer.file ?? layer.note),
  ])
  return table(['#', 'layer', 'status', 'keys', 'source'], rows)
}
