import {NotFoundError} from '../errors.js'
import type {DeclaredModule} from './declaration.js'
import {type WorkspaceDependenciesOptions, openWorkspaceDependencies} from './workspace-dependencies.js'
import {chainsTo} from './dependency-paths.js'
import {repositoryOfEntry} from './repository-binding.js'
import {installedRanges, type RequiredRanges} from './installed-ranges.js'
import {lockForView, notInGraph} from './inspect.js'
import type {LockedExtension} from './lockfile.js'

/** One step of a `dep why` chain: the extension and the range by which the step before (or the workspace) requires it. */
export interface WhyStep {
  name: string
  version: string
  /** Absent when the requiring extension is not installed (the lock keeps versions, not ranges). */
  range?: string
  optional?: true
  /** First step: the declaring key and, when known, file and line. */
  declaredAt?: string
}

export interface WhyResult {
  workspace: string
  name: string
  version: string
  type: string
  /** The repository it was resolved from, when the workspace resolves from repositories. */
  repository?: string
  /** Set when the workspace declares NAME itself. */
  declaredBy?: {key: string; range: string; location?: string}
  paths: WhyStep[][]
  /** Every chain there is, as a decimal string (it can exceed what a JSON number holds exactly). */
  totalPaths: string
  /** Chains not shown (`--limit`). */
  omittedPaths: string
  warnings: string[]
}

/**
 * `dep why NAME` (like `npm why`): every chain from the workspace's declarations to NAME, with
 * the range at each edge, read from the lockfile and the installed manifests (no registry).
 * At most `limit` chains, shortest first; how many were left out is counted.
 */
export async function whyDependency(options: WorkspaceDependenciesOptions & {name: string; limit: number}): Promise<WhyResult> {
  const context = await openWorkspaceDependencies(options)
  const {lock, problems} = await lockForView(context)
  if (!lock) {
    throw new NotFoundError(`${context.lockfile} does not exist: there is no resolved graph to explain ${options.name} from`, {
      hint: 'run "provisioning dep resolve" first',
      details: {name: options.name, lockfile: context.lockfile},
    })
  }
  const byName = new Map(lock.extensions.map((e) => [e.name, e]))
  const target = byName.get(options.name)
  if (!target) throw notInGraph(options.name, [...byName.keys()].sort(), context.lockfile)

  const modules = new Map(context.declaration.modules.map((m) => [m.name, m]))
  const {chains, total} = chainsTo(lock.extensions, new Set(modules.keys()), target.name, options.limit)
  const ranges = new Map<string, Promise<RequiredRanges | undefined>>()
  const rangesOf = (entry: LockedExtension) => {
    if (!ranges.has(entry.name)) ranges.set(entry.name, installedRanges(context.workspace, entry))
    return ranges.get(entry.name) as Promise<RequiredRanges | undefined>
  }
  const siteOf = (key: string) => context.declaration.locate?.(key)
  const paths = await Promise.all(
    chains.map((chain) =>
      Promise.all(
        chain.map(async (link, i): Promise<WhyStep> => {
          const entry = byName.get(link.name) as LockedExtension
          const step: WhyStep = {name: entry.name, version: entry.version, ...(link.optional ? {optional: true} : {})}
          if (i === 0) {
            const module = modules.get(entry.name) as DeclaredModule
            const site = await siteOf(module.declaredAt)
            return {...step, range: module.range, declaredAt: site ? `${site}, ${module.declaredAt}` : module.declaredAt}
          }
          const parent = await rangesOf(byName.get(chain[i - 1].name) as LockedExtension)
          const required = parent && (link.optional ? parent.optional : parent.dependencies)
          // Own keys only: an extension may be named "constructor".
          return required && Object.hasOwn(required, entry.name) ? {...step, range: required[entry.name]} : step
        }),
      ),
    ),
  )
  const repository = repositoryOfEntry(context.declaration, target)
  const module = modules.get(target.name)
  const location = module && (await siteOf(module.declaredAt))
  const declaredBy = module ? {key: module.declaredAt, range: module.range, ...(location ? {location} : {})} : undefined
  const warnings =
    problems.length > 0
      ? [
          `${context.lockfile} does not agree with the declaration (${problems[0]}${problems.length > 1 ? `; ${problems.length - 1} more` : ''}): these chains are the locked ones; run "provisioning dep resolve"`,
        ]
      : []
  if (paths.some((p) => p.some((step, i) => i > 0 && step.range === undefined)))
    warnings.push(
      'a range shown as "?" belongs to an extension that is not installed (or whose manifest.yaml is not the locked version): run "provisioning dep resolve" to see it',
    )
  return {
    workspace: context.workspace,
    name: target.name,
    version: target.version,
    type: target.type,
    ...(repository ? {repository} : {}),
    ...(declaredBy ? {declaredBy} : {}),
    paths,
    totalPaths: total.toString(),
    omittedPaths: (total - BigInt(paths.length)).toString(),
    warnings,
  }
}
