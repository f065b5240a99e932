import semver from 'semver'

import {ConfigError, NotFoundError, UsageError} from '../errors.js'
import {latestVersion} from '../oci/versions.js'
import {closestMatch} from '../util/closest.js'
import {type Declaration, moduleSites} from './declaration.js'
import {openWorkspaceDependencies, readLock} from './workspace-dependencies.js'
import type {Lockfile} from './lockfile.js'
import type {ResolutionPlan} from './plan.js'
import type {Republished} from './republished.js'
import {type DepResolveOptions, type DepResolveResult, resolveWorkspace} from './resolve-workspace.js'

/** A named extension that kept its version, and why. */
export interface HeldBack {
  name: string
  version: string
  reason: string
}

export interface DepUpdateResult extends DepResolveResult {
  heldBack: HeldBack[]
  /** Republished versions re-locked at the registry's current digest (`--accept-republished`). */
  acceptedRepublished: Republished[]
}

/**
 * `dep update [NAME…]`: the names are checked against the lock and the declaration first
 * (exit 4 for an unknown one, with the nearest known name), then the workspace is re-resolved
 * allowing newer versions. The result says, per extension, old → new and what happened, and
 * for each named extension that kept its version, what holds it there.
 */
export async function updateWorkspace(
  options: Omit<DepResolveOptions, 'update' | 'onPlan' | 'acceptRepublished'> & {names: string[]; acceptRepublished?: boolean},
): Promise<DepUpdateResult> {
  if (options.acceptRepublished && options.names.length === 0) {
    throw new UsageError('--accept-republished needs the names of the extensions whose new content you accept', {
      hint: 'accepting is per extension, after checking its new content: "provisioning dep update NAME --accept-republished"',
    })
  }
  const context = await openWorkspaceDependencies(options)
  // A damaged lock is re-resolved and rewritten by the update itself (as by dep resolve); only
  // checking names needs it readable.
  const lock = await readLock(context).catch((error: unknown) => {
    if (error instanceof ConfigError && options.names.length === 0) return undefined
    throw error
  })
  assertKnownNames(
    options.names,
    lock,
    context.declaration.modules.map((m) => m.name),
    context.lockfile,
  )

  let plan: ResolutionPlan | undefined
  const accepted = options.acceptRepublished ? options.names : []
  const result = await resolveWorkspace({
    ...options,
    update: options.names.length > 0 ? options.names : true,
    acceptRepublished: accepted,
    onPlan: (p) => (plan = p),
  })
  const heldBack = await Promise.all(
    result.changes
      .filter((c) => options.names.includes(c.name) && c.change === 'kept')
      .map(async (c) => ({
        name: c.name,
        version: c.to as string,
        reason: await whyKept(c.name, c.to as string, plan, context.declaration),
      })),
  )
  const acceptedRepublished = (plan?.republished ?? []).filter((r) => accepted.includes(r.name))
  return {...result, heldBack, acceptedRepublished}
}

function assertKnownNames(names: string[], lock: Lockfile | undefined, declared: string[], lockfile: string): void {
  const known = new Set([...(lock?.extensions.map((e) => e.name) ?? []), ...declared])
  const unknown = names.filter((name) => !known.has(name))
  if (unknown.length === 0) return
  const suggestions = unknown.map((name) => [name, closestMatch(name, known)] as const)
  const named = suggestions.map(([name, near]) => (near ? `${name} (did you mean ${near}?)` : name)).join(', ')
  throw new NotFoundError(
    `nothing to update named ${named}: not in ${lock ? lockfile : 'the workspace (no lockfile yet)'} nor declared in dependencies.extensions.modules`,
    {
      hint: suggestions.some(([, near]) => near)
        ? `run "provisioning dep update ${names.map((n) => suggestions.find(([u]) => u === n)?.[1] ?? n).join(' ')}"`
        : `"provisioning dep tree" lists what the workspace uses; declare a new extension in config/provisioning.yaml and run "provisioning dep resolve"`,
      details: {unknown, suggestions: Object.fromEntries(suggestions.filter(([, near]) => near))},
    },
  )
}

/** What keeps a named extension at its version: the newest is installed, or the constraints that exclude newer ones. */
async function whyKept(name: string, version: string, plan: ResolutionPlan | undefined, declaration: Declaration): Promise<string> {
  const newest = latestVersion((plan?.catalog?.versions(name) ?? []).map((v) => v.version)).latest?.tag
  if (!newest || !semver.gt(newest, version)) return `${version} is the newest published version`
  const sites = await moduleSites(declaration)
  const module = declaration.modules.find((m) => m.name === name)
  const excluding = (plan?.requiredBy?.get(name) ?? [])
    .filter((r) => !semver.satisfies(newest, r.range))
    .map((r) => {
      if (r.kind !== 'root') return `${r.from}@${r.fromVersion} requires ${name} ${r.range}${r.kind === 'optional' ? ' (optional)' : ''}`
      const site = sites.get(name)
      return `the workspace declares ${name} ${r.range} (${site ? `${site}, ` : ''}${module?.declaredAt ?? 'dependencies.extensions.modules'})`
    })
  if (excluding.length > 0) return `${newest} is published, but ${excluding.join('; ')}`
  const unmet = newestNeeds(name, newest, plan)
  return `${newest} is published, but ${unmet ?? 'no newer version fits the rest of the graph (its own dependencies, conflicts or minimum core version)'}`
}

/** What the newest version asks that the chosen graph does not give: a dependency range or a conflict. */
function newestNeeds(name: string, newest: string, plan: ResolutionPlan | undefined): string | undefined {
  const candidate = plan?.catalog?.versions(name)?.find((v) => v.version === newest)
  if (!candidate || !plan) return undefined
  const chosen = new Map(plan.lock.extensions.map((e) => [e.name, e.version]))
  for (const [dep, range] of Object.entries(candidate.dependencies)) {
    const version = chosen.get(dep)
    if (version !== undefined && !semver.satisfies(version, range)) return `${name} ${newest} requires ${dep} ${range}, and ${dep} stays at ${version}`
  }
  for (const [other, range] of Object.entries(candidate.conflicts)) {
    const version = chosen.get(other)
    if (version !== undefined && semver.satisfies(version, range))
      return `${name} ${newest} conflicts with ${other} ${range}, and ${other}@${version} is in the graph`
  }
  return undefined
}
