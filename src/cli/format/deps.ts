import {renderTree} from '../../lib/deps/graph-view.js'
import type {DependencyTree, DependencyValidation, UpdateCheck} from '../../lib/deps/inspect.js'
import type {LockChange} from '../../lib/deps/lock-changes.js'
import {republishedLine} from '../../lib/deps/republished.js'
import type {DepResolveResult} from '../../lib/deps/resolve-workspace.js'
import type {DepUpdateResult} from '../../lib/deps/update.js'
import type {VerifyResult} from '../../lib/deps/verify-install.js'
import type {WhyResult, WhyStep} from '../../lib/deps/why.js'
import {table} from './table.js'

export function formatResolve(result: DepResolveResult): string {
  if (result.order.length === 0) return 'no dependencies declared (dependencies.extensions.modules is empty)'
  const state = (name: string) => (result.dryRun ? 'planned' : result.installed.includes(name) ? 'installed' : 'unchanged')
  // A repository column only when the workspace resolves from repositories: "internal (also in default)".
  const repositories = result.order.some((e) => e.repository)
  const from = (e: DepResolveResult['order'][number]) => `${e.repository ?? '-'}${e.alsoIn ? ` (also in ${e.alsoIn.join(', ')})` : ''}`
  const rows = result.order.map((e, i) => [String(i + 1), e.name, e.version, e.type, ...(repositories ? [from(e)] : []), state(e.name)])
  const summary = result.dryRun
    ? 'dry run: nothing installed, lockfile not written'
    : `${result.installed.length} installed, ${result.unchanged.length} unchanged, ${result.removed.length} removed${result.removed.length ? ` (${result.removed.join(', ')})` : ''}; ` +
      `${result.followedLock ? 'followed the lockfile' : 'resolved'}${result.lockWritten ? `, wrote ${result.lockfile}` : ', lockfile unchanged'}`
  return `install order:\n${table(['#', 'name', 'version', 'type', ...(repositories ? ['repository'] : []), 'state'], rows)}\n${summary}`
}

export function formatValidateDeps(result: DependencyValidation): string {
  return [
    `dependencies of ${result.workspace} are valid: ${result.extensions} extension(s) resolve; lockfile ${result.lockfile}`,
    ...result.warnings.map((w) => `warning: ${w}`),
  ].join('\n')
}

export function formatTree(result: DependencyTree): string {
  if (result.tree.length === 0) return 'no dependencies declared'
  const heading = result.reverse ? `who requires ${result.tree[0].name}, up to the workspace:\n` : ''
  return `${heading}${renderTree(result.tree, {reverse: result.reverse})}${result.source === 'resolved' ? '\n(resolved now; the lockfile is missing or out of date: run "provisioning dep resolve")' : ''}`
}

export function formatUpdates(result: UpdateCheck): string {
  const note = (e: UpdateCheck['extensions'][number]) =>
    e.locked === undefined ? 'not locked yet' : e.locked !== e.wanted ? 'update available' : e.outdated ? 'newer outside your ranges' : ''
  const rows = result.extensions.map((e) => [
    e.name,
    e.locked ?? '-',
    e.wanted,
    e.latest ?? '-',
    [e.republished ? 'REPUBLISHED' : '', note(e)].filter(Boolean).join('; '),
  ])
  const updatable = result.extensions.filter((e) => e.locked !== e.wanted).length
  const summary =
    result.outdated === 0
      ? 'everything is up to date'
      : `${result.outdated} outdated (exit 1): ${updatable > 0 ? `"provisioning dep update" takes the wanted versions of ${updatable}` : 'every locked version is the newest your ranges allow'}` +
        `${updatable < result.outdated ? '; a newer version outside your ranges needs a wider range in config/provisioning.yaml (or in the extension requiring it)' : ''}`
  const republished = result.extensions.flatMap((e) => (e.republished && e.locked ? [{name: e.name, version: e.locked, ...e.republished}] : []))
  const warning =
    republished.length === 0
      ? ''
      : `\n${republished.map(republishedLine).join('\n')}\n${result.republished} republished (exit 8): check the new content, then "provisioning dep update ${republished.map((r) => r.name).join(' ')} --accept-republished"`
  return `${table(['name', 'locked', 'wanted', 'latest', ''], rows)}\n${summary}${warning}`
}

/** `workspace (config/provisioning.yaml:12 …: kubernetes 1.28.0) -> kubernetes@1.28.0 (containerd >=1.7.0) -> containerd@1.7.2` */
function formatChain(chain: WhyStep[]): string {
  const edge = (step: WhyStep) => `${step.name} ${step.range ?? '?'}${step.optional ? ', optional' : ''}`
  const parts = [`workspace (${chain[0].declaredAt}: ${edge(chain[0])})`]
  chain.forEach((step, i) => parts.push(i + 1 < chain.length ? `${step.name}@${step.version} (${edge(chain[i + 1])})` : `${step.name}@${step.version}`))
  return parts.join(' -> ')
}

export function formatWhy(result: WhyResult): string {
  const from = result.repository ? ` from repository ${result.repository}` : ''
  const lines = [`${result.name}@${result.version} (${result.type})${from} is required through ${result.totalPaths} chain(s):`]
  if (result.declaredBy)
    lines.push(
      `  declared by the workspace: ${result.declaredBy.location ? `${result.declaredBy.location}, ` : ''}${result.declaredBy.key} (${result.declaredBy.range})`,
    )
  for (const chain of result.paths) if (chain.length > 1) lines.push(`  ${formatChain(chain)}`)
  if (result.omittedPaths !== '0') lines.push(`  … ${result.omittedPaths} more chain(s) not shown (raise --limit to see more)`)
  return lines.join('\n')
}

export function formatUpdate(result: DepUpdateResult): string {
  if (result.changes.length === 0) return 'no dependencies declared (dependencies.extensions.modules is empty)'
  const rows = result.changes.map((c) => [
    c.name,
    c.type,
    c.from ?? '-',
    c.to ?? '-',
    `${c.change}${c.repository ? ` (repository ${c.repository.from} -> ${c.repository.to})` : ''}`,
  ])
  const tally = (['upgraded', 'downgraded', 'added', 'removed'] as const)
    .map((change) => `${result.changes.filter((c) => c.change === change).length} ${change}`)
    .join(', ')
  const summary = result.dryRun
    ? `dry run (nothing installed, lockfile not written): would be ${tally}`
    : `${tally}; ${result.lockWritten ? `wrote ${result.lockfile}` : 'lockfile unchanged'}`
  const kept = result.heldBack.map((h) => `${h.name} stays at ${h.version}: ${h.reason}`)
  const moved = result.changes.flatMap((c) => (c.repository && c.reason ? [`${c.name}: ${c.reason}`] : []))
  const accepted = result.acceptedRepublished.map((r) => `${r.name}@${r.version}: accepted the republished content ${r.current} (was ${r.locked})`)
  return [table(['name', 'type', 'locked', 'new', 'change'], rows), ...moved, ...kept, ...accepted, summary].join('\n')
}

/** `dep resolve`: the install order, then what changed against the lock and why (kept versions only when held back). */
export function formatResolveWithChanges(result: DepResolveResult): string {
  const notable = result.changes.filter((c) => c.change !== 'kept' || c.newestAllowed || c.repository)
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
