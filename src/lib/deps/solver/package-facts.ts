import semver from 'semver'

import type {RootRequirement} from '../types.js'
import type {Domains} from './domains.js'
import {type Cause, Incompatibility, ROOT} from './incompatibility.js'
import type {VersionSet} from './version-set.js'

type Relation = 'dependency' | 'optional' | 'conflict'

interface Group {
  relation: Relation
  to: string
  /** The target versions the range selects. */
  match: VersionSet
  ranges: string[]
  /** Version indices of the requiring name that share this relation. */
  from: number[]
}

/**
 * The catalog's facts about one name as incompatibilities, all versions at once: versions
 * that share a relation with the same effect (same target, same selected versions) become
 * one incompatibility, as pub collapses adjacent versions, so a chain of 100 versions per
 * name is one fact per link, not 100. Versions the core version rules out are one fact and
 * contribute no relations.
 */
export function packageFacts(name: string, domains: Domains, context: {coreVersion: string; roots: readonly RootRequirement[]}): Incompatibility[] {
  if (name === ROOT) {
    // In name order, so that neither the answer nor its explanation depends on declaration order.
    const roots = [...context.roots].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.range < b.range ? -1 : a.range > b.range ? 1 : 0))
    return roots.map((root) => requirementFact(root, domains))
  }
  const facts: Incompatibility[] = []
  const versions = domains.versions(name)
  const tooNew = new Map<string, number[]>()
  const groups = new Map<string, Group>()
  const group = (relation: Relation, to: string, range: string, index: number) => {
    const match = domains.matching(to, range)
    const key = `${relation}\0${to}\0${match.key()}`
    const found = groups.get(key)
    if (found) {
      found.from.push(index)
      if (!found.ranges.includes(range)) found.ranges.push(range)
    } else {
      groups.set(key, {relation, to, match, ranges: [range], from: [index]})
    }
  }
  versions.forEach((candidate, i) => {
    const index = i + 1
    const minimum = candidate.minProvisioningVersion
    if (minimum && semver.valid(minimum) && semver.gt(minimum, context.coreVersion)) {
      tooNew.set(minimum, [...(tooNew.get(minimum) ?? []), index])
      return
    }
    for (const to of Object.keys(candidate.dependencies).sort()) group('dependency', to, candidate.dependencies[to], index)
    for (const to of Object.keys(candidate.optional).sort()) group('optional', to, candidate.optional[to], index)
    for (const to of Object.keys(candidate.conflicts).sort()) group('conflict', to, candidate.conflicts[to], index)
  })

  for (const [minimum, indices] of [...tooNew].sort(([a], [b]) => semver.compare(a, b))) {
    facts.push(new Incompatibility([{name, set: domains.only(name, indices)}], {kind: 'core', name, minimum, core: context.coreVersion}))
  }
  for (const g of groups.values()) {
    const from = {name, set: domains.only(name, g.from)}
    const fact = relationFact(name, g, from, domains)
    if (fact) facts.push(fact)
  }
  return facts
}

function relationFact(name: string, g: Group, from: {name: string; set: VersionSet}, domains: Domains): Incompatibility | undefined {
  const range = g.ranges.join(' || ')
  if (g.relation === 'optional') {
    // "if installed, inside the range": installed outside it is the incompatible case.
    const outside = domains.present(g.to).minus(g.match)
    return outside.isEmpty() ? undefined : new Incompatibility([from, {name: g.to, set: outside}], {kind: 'optional', from: name, to: g.to, ranges: g.ranges})
  }
  if (g.relation === 'conflict') {
    if (g.to === name || g.match.isEmpty()) return undefined
    return new Incompatibility([from, {name: g.to, set: g.match}], {kind: 'conflict', from: name, to: g.to, ranges: g.ranges})
  }
  if (g.to === name) return new Incompatibility([from], {kind: 'cycle', path: [name, name]})
  return requires(from, g.to, range, g.match, {kind: 'dependency', from: name, to: g.to, ranges: g.ranges}, domains)
}

/** One requirement of the workspace (two on one name are two facts: ranges with `||` cannot be joined as text). */
function requirementFact(root: RootRequirement, domains: Domains): Incompatibility {
  const cause = {kind: 'requirement' as const, to: root.name, range: root.range, source: root.source, ...(root.location ? {location: root.location} : {})}
  return requires({name: ROOT, set: domains.only(ROOT, [1])}, root.name, root.range, domains.matching(root.name, root.range), cause, domains)
}

function requires(from: {name: string; set: VersionSet}, to: string, range: string, match: VersionSet, cause: Cause, domains: Domains): Incompatibility {
  const dependency = new Incompatibility([from, {name: to, set: match.complement()}], cause)
  if (!match.isEmpty()) return dependency
  // Nothing can satisfy it: the requiring versions are out, and the explanation says why
  // (no such extension, or no version in the range) as pub does.
  const missing = new Incompatibility([{name: to, set: domains.present(to)}], {kind: 'no-versions', name: to, range, unknown: !domains.known(to)})
  return new Incompatibility([from], {kind: 'derived', causes: [dependency, missing]})
}
