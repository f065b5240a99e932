import {ResolutionLimitError} from '../errors.js'
import {decisionRanks} from './decision-order.js'
import {installOrder} from './install-order.js'
import {Domains} from './solver/domains.js'
import {failureError} from './solver/failure.js'
import {ROOT} from './solver/incompatibility.js'
import {NoSolution, SearchCutShort, solve} from './solver/pubgrub.js'
import type {CandidateVersion, Requirer, Resolution, ResolveInput} from './types.js'

/**
 * The default budget. Ordinary workspaces learn a handful of conflicts (pigeonhole with 9
 * extensions and 8 versions, a hard case built on purpose, ~15,000); the budget exists so that
 * a pathological or hostile catalog ends with a clear "cut short" instead of running for
 * minutes and holding every learned fact in memory. It never turns into "unsatisfiable".
 */
export const DEFAULT_LIMITS = {conflicts: 100_000, milliseconds: 60_000}

/**
 * Picks one version per extension name (SPEC §9.2): the highest that satisfies every
 * constraint, with the locked version first while it still fits. A conflict-driven solver
 * (solver/pubgrub.ts) learns why each dead end failed, so it never retries a combination
 * it has shown cannot work, and it is complete: it never calls a solvable workspace
 * unsatisfiable. Names are decided in a static order (requirers before what they require,
 * ties by name), so the result is deterministic.
 */
export function resolve(input: ResolveInput): Resolution {
  const domains = new Domains(input.catalog)
  for (const root of input.roots) domains.range(root.range)
  const ranks = decisionRanks(
    input.roots.map((r) => r.name),
    input.catalog,
  )
  const preferredIndex = (name: string): number | undefined => {
    const version = input.unlock?.has(name) ? undefined : input.preferred?.get(name)
    if (version === undefined) return undefined
    const index = domains.versions(name).findIndex((v) => v.version === version)
    return index < 0 ? undefined : index + 1
  }
  const limits = {...DEFAULT_LIMITS, ...input.limits}
  let chosen: Map<string, number>
  try {
    chosen = solve(domains, {
      coreVersion: input.coreVersion,
      roots: input.roots,
      rank: (name) => (name === ROOT ? -1 : (ranks.get(name) ?? Number.MAX_SAFE_INTEGER)),
      preferred: preferredIndex,
      limits,
    })
  } catch (error) {
    if (error instanceof NoSolution) throw failureError(error.incompatibility, domains)
    if (error instanceof SearchCutShort) throw cutShort(error)
    throw error
  }

  const selected = new Map<string, CandidateVersion>()
  for (const name of [...chosen.keys()].sort()) selected.set(name, domains.version(name, chosen.get(name) as number))
  assertValid(selected, input, domains)
  const requiredBy = new Map<string, Requirer[]>()
  const requirer = (name: string, entry: Requirer) => requiredBy.get(name)?.push(entry)
  for (const name of selected.keys()) requiredBy.set(name, [])
  for (const root of input.roots) requirer(root.name, {from: ROOT_LABEL, range: root.range, kind: 'root'})
  for (const [name, c] of selected) {
    for (const [dep, range] of Object.entries(c.dependencies)) requirer(dep, {from: name, fromVersion: c.version, range, kind: 'hard'})
    for (const [dep, range] of Object.entries(c.optional)) requirer(dep, {from: name, fromVersion: c.version, range, kind: 'optional'})
  }
  const hardEdges = new Map<string, string[]>()
  const optionalEdges = new Map<string, string[]>()
  for (const [name, c] of selected) {
    hardEdges.set(name, Object.keys(c.dependencies))
    optionalEdges.set(
      name,
      Object.keys(c.optional).filter((o) => selected.has(o)),
    )
  }
  return {selected, requiredBy, order: installOrder([...selected.keys()], hardEdges, optionalEdges)}
}

const ROOT_LABEL = 'workspace'

function cutShort(error: SearchCutShort): ResolutionLimitError {
  const seconds = (error.milliseconds / 1000).toFixed(1)
  const limit = error.reason === 'conflicts' ? `${error.conflicts} learned conflicts` : `${seconds} s`
  return new ResolutionLimitError(
    `dependency resolution was cut short after ${limit} (${error.conflicts} conflicts, ${seconds} s): the search neither found a solution nor proved that none exists, so it says nothing about whether the workspace can be resolved`,
    {
      hint: 'narrow the search: pin exact versions of the extensions involved in dependencies.extensions.modules, or remove conflicting extensions; "provisioning dep validate" shows the declaration',
      details: {kind: 'search-limit', reason: error.reason, conflicts: error.conflicts, milliseconds: Math.round(error.milliseconds)},
    },
  )
}

/**
 * A last check of the answer against the catalog's rules (cheap: one pass over the chosen
 * versions' relations). It can only fail through a bug in the solver, and then it is
 * better to stop loudly than to install a wrong set.
 */
function assertValid(selected: Map<string, CandidateVersion>, input: ResolveInput, domains: Domains): void {
  const inRange = (name: string, range: string) => domains.range(range).test(domains.semver((selected.get(name) as CandidateVersion).version))
  const problems: string[] = []
  for (const root of input.roots) if (!selected.has(root.name) || !inRange(root.name, root.range)) problems.push(`root ${root.name} ${root.range}`)
  for (const [name, c] of selected) {
    for (const [dep, range] of Object.entries(c.dependencies)) if (!selected.has(dep) || !inRange(dep, range)) problems.push(`${name} -> ${dep} ${range}`)
    for (const [dep, range] of Object.entries(c.optional)) if (selected.has(dep) && !inRange(dep, range)) problems.push(`${name} -> optional ${dep} ${range}`)
    for (const [other, range] of Object.entries(c.conflicts))
      if (other !== name && selected.has(other) && inRange(other, range)) problems.push(`${name} conflicts ${other} ${range}`)
  }
  if (problems.length > 0) throw new Error(`internal: the resolver chose an invalid set (${problems.slice(0, 5).join('; ')})`)
}
