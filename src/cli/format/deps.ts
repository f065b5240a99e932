import type {DepResolveResult} from '../../lib/deps/resolve-workspace.js'
import {table} from './table.js'

export function formatResolve(result: DepResolveResult): string {
  if (result.order.length === 0) return 'no dependencies declared (dependencies.extensions.modules is empty)'
  const state = (name: string) => (result.dryRun ? 'planned' : result.installed.includes(name) ? 'installed' : 'unchanged')
  const rows = result.order.map((e, i) => [String(i + 1), e.name, e.version, e.type, state(e.name)])
  const summary = result.dryRun
    ? 'dry run: nothing installed, lockfile not written'
    : `${result.installed.length} installed, ${result.unchanged.length} unchanged, ${result.removed.length} removed${result.removed.length ? ` (${result.removed.join(', ')})` : ''}; ` +
      `${result.followedLock ? 'followed the lockfile' : 'resolved'}${result.lockWritten ? `, wrote ${result.lockfile}` : ', lockfile unchanged'}`
  return `install order:\n${table(['#', 'name', 'version', 'type', 'state'], rows)}\n${summary}`
}
