import type {LoadOptions} from '../config/loader.js'
import {NotFoundError} from '../errors.js'
import {latestVersion} from '../oci/versions.js'
import {type DependencyContext, openDependencyContext, readLock, withSourceOci} from './dependency-context.js'
import {buildTree, renderGraph, type TreeNode} from './graph-view.js'
import type {LockedExtension} from './lockfile.js'
import {planResolution, type ResolutionPlan} from './plan.js'
import type {Catalog} from './types.js'

type Options = LoadOptions & {offline?: boolean; concurrency?: number}

async function plan(context: DependencyContext, options: Options, extra: {update?: true; ignoreLock?: boolean; skipLocalDigests?: boolean} = {}): Promise<ResolutionPlan> {
  const lock = extra.ignoreLock ? undefined : await readLock(context)
  return withSourceOci(context, (oci) => planResolution(oci, {
    declaration: context.declaration,
    lock,
    offline: options.offline,
    update: extra.update,
    skipLocalDigests: extra.skipLocalDigests,
    concurrency: context.settings.concurrency,
    lockfilePath: context.lockfile,
  }))
}

export interface GraphState {
  workspace: string
  /** `lockfile`: the lock matches the declaration; `resolved`: resolved now (nothing written). */
  source: 'lockfile' | 'resolved'
  roots: string[]
  extensions: LockedExtension[]
}

/** The resolved graph: the lockfile's when current, else a fresh resolution (dry). */
export async function resolvedGraph(options: Options): Promise<GraphState> {
  const context = await openDependencyContext(options)
  const result = await plan(context, options)
  return {workspace: context.workspace, source: result.followedLock ? 'lockfile' : 'resolved', roots: context.declaration.modules.map((m) => m.name), extensions: result.lock.extensions}
}

export async function dependencyTree(options: Options & {name?: string; depth?: number}): Promise<GraphState & {tree: TreeNode[]}> {
  const state = await resolvedGraph(options)
  if (options.name && !state.extensions.some((e) => e.name === options.name)) {
    throw new NotFoundError(`${options.name} is not part of the resolved graph of ${state.workspace}`, {
      hint: `resolved: ${state.extensions.map((e) => e.name).join(', ') || '(nothing)'}`,
      details: {name: options.name},
    })
  }
  return {...state, tree: buildTree(state.extensions, options.name ? [options.name] : state.roots, options.depth)}
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
}

/** `dep check-updates` (like `npm outdated`): locked, newest allowed and newest published versions. */
export async function checkUpdates(options: Options): Promise<{workspace: string; extensions: UpdateRow[]}> {
  const context = await openDependencyContext(options)
  const wanted = await plan(context, options, {update: true})
  // The update plan resolved afresh from this catalog: no second round of tag listings.
  const catalog = wanted.catalog as Catalog
  const locked = new Map((await readLock(context))?.extensions.map((e) => [e.name, e.version]))
  const extensions = [...wanted.lock.extensions].sort((a, b) => (a.name < b.name ? -1 : 1)).map((e) => {
    const latest = latestVersion((catalog.versions(e.name) ?? []).map((v) => v.version)).latest?.version
    return {name: e.name, type: e.type, ...(locked.has(e.name) ? {locked: locked.get(e.name)} : {}), wanted: e.version, ...(latest ? {latest} : {})}
  })
  return {workspace: context.workspace, extensions}
}
