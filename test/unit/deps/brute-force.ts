/**
 * The oracle the resolver tests hold it to: the rules of SPEC §9.2 written down as plainly
 * as possible, and a brute-force search over them for small catalogs. There is no cleverness
 * here beyond one pruning step (explained at allSolutions), because this file decides what
 * "right" means: it has to be obviously correct, not fast.
 *
 * A selection is a map name -> chosen version. It is a solution of a ResolveInput when
 *  - every version comes from the catalog, one per name;
 *  - its names are exactly the required ones: the roots, plus the hard dependencies of the
 *    chosen versions, transitively (an optional dependency or a conflict never adds a name);
 *  - no rule between chosen versions is broken (brokenRules): root ranges, hard and optional
 *    ranges, conflicts, min_provisioning_version <= core, and no cycle of hard dependencies.
 */
import semver from 'semver'

import type {CandidateVersion, ResolveInput} from '../../../src/lib/deps/types.js'

export type Selection = ReadonlyMap<string, CandidateVersion>

const parsedRanges = new Map<string, semver.Range>()

/** node-semver's own test: a pre-release matches only a range that names one of its [major, minor, patch]. */
export function inRange(version: string, range: string): boolean {
  let parsed = parsedRanges.get(range)
  if (!parsed) {
    parsed = new semver.Range(range)
    parsedRanges.set(range, parsed)
  }
  return parsed.test(version)
}

/**
 * Whether the hard dependencies among the chosen versions form a cycle. Kahn's peeling: a
 * name none of whose chosen hard dependencies is left can go; if some names can never go,
 * each of them depends on another one that is left, so following those edges must loop.
 */
export function hasHardCycle(selection: Selection): boolean {
  const left = new Set(selection.keys())
  for (let progress = true; progress;) {
    progress = false
    for (const name of left) {
      const deps = Object.keys((selection.get(name) as CandidateVersion).dependencies)
      if (deps.every((dep) => !left.has(dep))) {
        left.delete(name)
        progress = true
      }
    }
  }
  return left.size > 0
}

/**
 * The rules that hold between chosen versions. Each involves only chosen versions, so once
 * one is broken it stays broken however many versions are chosen besides.
 */
export function brokenRules(selection: Selection, input: ResolveInput): string[] {
  const broken: string[] = []
  for (const root of input.roots) {
    const chosen = selection.get(root.name)
    if (chosen && !inRange(chosen.version, root.range)) broken.push(`workspace requires ${root.name} ${root.range}, but ${chosen.version} is chosen`)
  }
  for (const [name, c] of selection) {
    const id = `${name}@${c.version}`
    if (c.minProvisioningVersion && semver.gt(c.minProvisioningVersion, input.coreVersion))
      broken.push(`${id} needs provisioning >= ${c.minProvisioningVersion}, core is ${input.coreVersion}`)
    for (const [dep, range] of Object.entries(c.dependencies)) {
      const chosen = selection.get(dep)
      if (chosen && !inRange(chosen.version, range)) broken.push(`${id} requires ${dep} ${range}, but ${chosen.version} is chosen`)
    }
    for (const [dep, range] of Object.entries(c.optional)) {
      const chosen = selection.get(dep)
      if (chosen && !inRange(chosen.version, range)) broken.push(`${id} optionally requires ${dep} ${range}, but ${chosen.version} is chosen`)
    }
    for (const [other, range] of Object.entries(c.conflicts)) {
      const chosen = selection.get(other)
      if (chosen && inRange(chosen.version, range)) broken.push(`${id} conflicts with ${other} ${range}, and ${chosen.version} is chosen`)
    }
  }
  if (hasHardCycle(selection)) broken.push('the hard dependencies of the chosen versions form a cycle')
  return broken
}

/** The names that must be present: the roots and, transitively, the hard dependencies of the chosen versions. */
export function requiredNames(selection: Selection, input: ResolveInput): Set<string> {
  const required = new Set<string>()
  const stack = input.roots.map((r) => r.name)
  while (stack.length > 0) {
    const name = stack.pop() as string
    if (required.has(name)) continue
    required.add(name)
    const chosen = selection.get(name)
    if (chosen) stack.push(...Object.keys(chosen.dependencies))
  }
  return required
}

/** Everything wrong with a selection as the answer to `input`; empty when it is a solution. */
export function solutionProblems(selection: Selection, input: ResolveInput): string[] {
  const problems: string[] = []
  for (const [name, c] of selection) {
    if (c.name !== name || !(input.catalog.versions(name) ?? []).some((v) => v.version === c.version))
      problems.push(`${name}@${c.version} is not in the catalog`)
  }
  const required = requiredNames(selection, input)
  for (const name of required) if (!selection.has(name)) problems.push(`${name} is required but not chosen`)
  for (const name of selection.keys()) if (!required.has(name)) problems.push(`${name} is chosen but nothing requires it`)
  problems.push(...brokenRules(selection, input))
  return problems
}

/**
 * Every solution, by brute force. Grows selections by choosing, each time, a version of the
 * first (by name) required name that is not chosen yet, until nothing required is missing.
 * Every solution S is reached exactly once: along the way the selection is a part of S, so
 * the next required name is one of S's and only S's version of it keeps to S. A branch is
 * dropped as soon as a rule between chosen versions is broken (brokenRules: it stays
 * broken). What comes out is checked against solutionProblems all the same.
 */
export function allSolutions(input: ResolveInput): Selection[] {
  const found: Selection[] = []
  const grow = (selection: Map<string, CandidateVersion>) => {
    if (brokenRules(selection, input).length > 0) return
    const next = [...requiredNames(selection, input)].filter((name) => !selection.has(name)).sort()[0]
    if (next === undefined) {
      const problems = solutionProblems(selection, input)
      if (problems.length > 0) throw new Error(`brute force: a complete selection is not a solution: ${problems.join('; ')}`)
      found.push(selection)
      return
    }
    for (const version of input.catalog.versions(next) ?? []) grow(new Map([...selection, [next, version]]))
  }
  grow(new Map())
  return found
}

/** Whether `better` has every name of `selection` at the same or a higher version, and at least one higher. */
export function dominates(better: Selection, selection: Selection): boolean {
  let higher = false
  for (const [name, c] of selection) {
    const other = better.get(name)
    if (!other) return false
    const order = semver.compare(other.version, c.version)
    if (order < 0) return false
    if (order > 0) higher = true
  }
  return higher
}

/** A selection as {name: version}, sorted by name, for messages and expectations. */
export function versionsOf(selection: Selection): Record<string, string> {
  return Object.fromEntries([...selection].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, c]) => [name, c.version]))
}
