import semver from 'semver'

import {NotFoundError, UsageError} from '../errors.js'
import {closestMatch} from '../util/closest.js'
import {latestVersion} from '../oci/versions.js'
import {type WorkspaceDependencies, type WorkspaceDependenciesOptions, openWorkspaceDependencies, readLock, withSourceOci} from './workspace-dependencies.js'
import {buildReverseTree, buildTree, renderGraph, type TreeNode} from './graph-view.js'
import {lockContractProblems} from './lock-contract.js'
import type {LockedExtension, Lockfile} from './lockfile.js'
import {cliVersion, planResolution, type ResolutionPlan} from './plan.js'
import {repositoryOfEntry} from './repository-binding.js'
import type {Catalog} from './types.js'

type Options = WorkspaceDependenciesOptions & {offline?: boolean; concurrency?: number}

async function plan(
  context: WorkspaceDependencies,
  options: Options,
  extra: {update?: true; ignoreLock?: boolean; skipLocalDigests?: boolean; acceptRepublished?: 'report'} = {},
): Promise<ResolutionPlan> {
  const lock = extra.ignoreLock ? undefined : await readLock(context)
  return withSourceOci(context, (oci) =>
    planResolution(oci, {
      declaration: context.declaration,
      lock,
      offline: options.offline,
      update: extra.update,
      skipLocalDigests: extra.skipLocalDigests,
      acceptRepublished: extra.acceptRepublished,
      concurrency: context.settings.concurrency,
      lockfilePath: context.lockfile,
    }),
  )
}

export interface GraphState {
  workspace: string
  /** `lockfile`: the lock agrees with the declaration; `resolved`: resolved now (nothing written). */
  source: 'lockfile' | 'resolved'
  roots: string[]
  extensions: LockedExtension[]
}

/**
 * The lock as the read-only views see it, with every way it disagrees with the declaration
 * (what it pins is not checked: a view installs nothing, and `dep resolve` checks the content
 * before it follows a lock).
 */
export async function lockForView(context: WorkspaceDependencies): Promise<{lock?: Lockfile; problems: string[]}> {
  const lock = await readLock(context)
  if (!lock) return {problems: []}
  const {problems} = lockContractProblems(lock, context.declaration, context.settings.cwd)
  const core = context.declaration.core?.version ?? cliVersion()
  if (lock.core_version !== core) problems.push(`it was resolved for core ${lock.core_version}, the workspace now has ${core}`)
  return {lock, problems}
}

/** The resolved graph: the lockfile's when it agrees with the declaration (no registry request), else a fresh resolution (dry). */
export async function resolvedGraph(options: Options): Promise<GraphState> {
  const context = await openWorkspaceDependencies(options)
  const roots = context.declaration.modules.map((m) => m.name)
  const {lock, problems} = await lockForView(context)
  // With repositories, every extension says where it came from (the lock leaves the implicit one out).
  const withRepositories = (extensions: LockedExtension[]) =>
    context.declaration.sources ? extensions.map((e) => ({...e, ...optionalRepository(repositoryOfEntry(context.declaration, e))})) : extensions
  if (lock && problems.length === 0) return {workspace: context.workspace, source: 'lockfile', roots, extensions: withRepositories(lock.extensions)}
  const result = await plan(context, options)
  return {workspace: context.workspace, source: result.followedLock ? 'lockfile' : 'resolved', roots, extensions: withRepositories(result.lock.extensions)}
}

const optionalRepository = (repository: string | undefined) => (repository ? {repository} : {})

/** Exit 4 for a name the graph does not hold, with the nearest name that it does. */
export function notInGraph(name: string, names: string[], where: string): NotFoundError {
  const near = closestMatch(name, names)
  return new NotFoundError(`${name} is not part of ${where}${near ? `; did you mean ${near}?` : ''}`, {
    hint: near
      ? `run the command again with ${near}`
      : `the graph holds: ${names.slice(0, 20).join(', ') || '(nothing)'}${names.length > 20 ? `, … (${names.length - 20} more)` : ''}`,
    details: {name, ...(near ? {suggestion: near} : {})},
  })
}

export type DependencyTree = GraphState & {tree: TreeNode[]; reverse: boolean}

export async function dependencyTree(options: Options & {name?: string; depth?: number; reverse?: boolean}): Promise<DependencyTree> {
  if (options.reverse && !options.name) {
    throw new UsageError('dep tree --reverse needs the NAME whose dependents to show', {hint: 'e.g. "provisioning dep tree containerd --reverse"'})
  }
  const state = await resolvedGraph(options)
  if (options.name && !state.extensions.some((e) => e.name === options.name)) {
    throw notInGraph(options.name, state.extensions.map((e) => e.name).sort(), `the resolved graph of ${state.workspace}`)
  }
  const tree = options.reverse
    ? buildReverseTree(state.extensions, options.name as string, new Set(state.roots), options.depth)
    : buildTree(state.extensions, options.name ? [options.name] : state.roots, options.depth)
  return {...state, tree, reverse: Boolean(options.reverse)}
}

export async function dependencyGraph(options: Options & {format: 'dot' | 'mermaid'}): Promise<GraphState & {format: string; graph: string}> {
  const state = await resolvedGraph(options)
  return {...state, format: options.format, graph: renderGraph(state.extensions, options.format)}
}

export type {DependencyValidation} from './validate.js'

export interface UpdateRow {
  name: string
  type: string
  /** In the lockfile (absent when not locked yet). */
  locked?: string
  /** Newest version the declaration's constraints allow. */
  wanted: string
  /** Newest version published. */
  latest?: string
  /** As npm outdated: not locked, locked other than wanted, or older than latest. */
  outdated: boolean
  /** The locked version's tag now names other content (online runs only). */
  republished?: {locked: string; current: string}
}

export interface UpdateCheck {
  workspace: string
  extensions: UpdateRow[]
  /** How many rows are outdated: the command exits 1 when any is. */
  outdated: number
  /** How many locked versions were republished: the command exits 8 when any is (before 1). */
  republished: number
}

/** `dep check-updates` (like `npm outdated`): locked, newest allowed and newest published versions. */
export async function checkUpdates(options: Options): Promise<UpdateCheck> {
  const context = await openWorkspaceDependencies(options)
  const wanted = await plan(context, options, {update: true, acceptRepublished: 'report'})
  // The update plan resolved afresh from this catalog: no second round of tag listings.
  const catalog = wanted.catalog as Catalog
  const locked = new Map((await readLock(context))?.extensions.map((e) => [e.name, e.version]))
  const republished = new Map((wanted.republished ?? []).map((r) => [r.name, {locked: r.locked, current: r.current}]))
  const extensions = [...wanted.lock.extensions]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((e): UpdateRow => {
      const latest = latestVersion((catalog.versions(e.name) ?? []).map((v) => v.version)).latest?.version
      const current = locked.get(e.name)
      const outdated = current === undefined || current !== e.version || (latest !== undefined && semver.lt(current, latest))
      const moved = republished.get(e.name)
      return {
        name: e.name,
        type: e.type,
        ...(current === undefined ? {} : {locked: current}),
        wanted: e.version,
        ...(latest ? {latest} : {}),
        outdated,
        ...(moved ? {republished: moved} : {}),
      }
    })
  return {workspace: context.workspace, extensions, outdated: extensions.filter((e) => e.outdated).length, republished: republished.size}
}
