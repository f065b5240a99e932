import {renderTree, type TreeNode} from '../../lib/deps/graph-view.js'
import type {DependencyValidation, GraphState, UpdateRow} from '../../lib/deps/inspect.js'
import type {LockChange} from '../../lib/deps/lock-changes.js'
import type {DepResolveResult} from '../../lib/deps/resolve-workspace.js'
import type {VerifyResult} from '../../lib/deps/verify-install.js'
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

export function formatValidateDeps(result: DependencyValidation): string {
  return [`dependencies of ${result.workspace} are valid: ${result.extensions} extension(s) resolve; lockfile ${result.lockfile}`, ...result.warnings.map((w) => `warning: ${w}`)].join('\n')
}

export function formatTree(result: GraphState & {tree: TreeNode[]}): string {
  if (result.tree.length === 0) return 'no dependencies declared'
  return `${renderTree(result.tree)}${result.source === 'resolved' ? '\n(resolved now; the lockfile is missing or out of date: run "provisioning dep resolve")' : ''}`
}

export function formatUpdates(result: {extensions: UpdateRow[]}): string {
  const rows = result.extensions.map((e) => [e.name, e.locked ?? '-', e.wanted, e.latest ?? '-', e.locked !== e.wanted ? 'update available' : e.latest !== e.wanted ? 'newer outside your ranges' : ''])
  return table(['name', 'locked', 'wanted', 'latest', ''], rows)
}

/** `dep resolve`: the install order, then what changed against the lock and why (kept versions only when held back). */
export function formatResolveWithChanges(result: DepResolveResult): string {
  const notable = result.changes.filter((c) => c.change !== 'kept' || c.newestAllowed)
  // A first resolve adds everything: the table says it all.
  if (notable.length === 0 || result.followedLock || result.changes.every((c) => c.change === 'added')) return formatResolve(result)
  const line = (c: LockChange) => {
    const versions = c.change === 'added' ? c.to : c.change === 'removed' || c.change === 'kept' ? c.from : `${c.from} -> ${c.to}`
    return `  ${c.change} ${c.name} ${versions}${c.reason ? ` (${c.reason})` : ''}`
  }
  return `${formatResolve(result)}\nchanges against the lockfile:\n${notable.map(line).join('\n')}`
}

export function formatVerify(result: VerifyResult): string {
  return `${result.verified.length} installed extension(s) of ${result.workspace} match ${result.lockfile} file for file`
}
