import type {DiscoveredModule, LayerResolution, ModuleChange, ModuleListing} from '../../lib/module/modules.js'
import {formatResolve} from './deps.js'
import {latestCell} from './oci.js'
import {table} from './table.js'

export function formatChange(result: ModuleChange): string {
  const head = [
    result.added.length ? `added ${result.added.join(', ')} to ${result.type}s` : '',
    result.removed.length ? `removed ${result.removed.join(', ')} from ${result.type}s` : '',
    result.unchanged.length ? `already declared: ${result.unchanged.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ')
  return `${head}\n${formatResolve(result.resolve)}`
}

export function formatModuleList(result: ModuleListing): string {
  if (result.modules.length === 0) return 'no modules declared'
  return table(
    ['type', 'name', 'declared', 'locked', 'installed'],
    result.modules.map((m) => [m.type, m.name, m.declared, m.locked ?? '-', m.installed ? 'yes' : 'no']),
  )
}

/** The table only: warnings go to stderr (the command notes them), so stdout stays the result. */
export function formatDiscover(result: {modules: DiscoveredModule[]}): string {
  const rows = table(
    ['name', 'type', 'version', 'source', 'description'],
    result.modules.map((m) => [
      m.name,
      m.type ?? '?',
      m.version || m.onlyPrerelease ? latestCell({latest: m.version, onlyPrerelease: m.onlyPrerelease}) : '?',
      m.repository ? `${m.source} (${m.repository})` : m.source,
      m.description ?? '',
    ]),
  )
  return rows || 'nothing found'
}

export function formatLayers(result: LayerResolution): string {
  const layers = table(
    ['layer', 'present', 'path'],
    result.layers.map((l) => [l.layer, l.present ? 'yes' : 'no', l.path]),
  )
  const files = table(
    ['file', 'from', 'shadows'],
    result.files.map((f) => [f.file, f.layer, f.shadows.join(', ')]),
  )
  return `${result.type} ${result.name} is provided by the ${result.provider} layer\n\n${layers}\n\n${files}`
}
