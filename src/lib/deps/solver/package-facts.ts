import semver from 'semver'

import type {CandidateVersion, RootRequirement} from '../types.js'
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

type Context = {coreVersion: string; roots: readonly RootRequirement[]}

/**
 * The catalog's facts as incompatibilities, loaded as late as they can be and in bulk where
 * that is cheap:
 * - when a name becomes required, the facts that need no range arithmetic: versions too new
 *   for the core (one fact per minimum) and requirements of names that do not exist;
 * - when a version is about to be decided, its relations, each grouped with every version
 *   of the name that states the same relation with the same range text, as pub collapses
 *   adjacent versions (a chain of 100 versions per name is one fact per link, not 100).
 * Versions never considered cost nothing: a 10,000-extension catalog has ~50,000 versions
 * and the answer looks at a fraction of them.
 */
export class FactLoader {
  private readonly loadedNames = new Set<string>()
  private readonly loadedVersions = new Map<string, Set<number>>()
  private readonly loadedRelations = new Map<string, Set<string>>()
  private readonly tooNew = new Map<string, Set<number>>()

  constructor(
    private readonly domains: Domains,
    private readonly context: Context,
  ) {}

  nameLoaded(name: string): boolean {
    return this.loadedNames.has(name)
  }

  versionLoaded(name: string, index: number): boolean {
    return this.loadedVersions.get(name)?.has(index) ?? false
  }

  /** Facts about a name as a whole; call once, when it becomes required. */
  nameFacts(name: string): Incompatibility[] {
    this.loadedNames.add(name)
    if (name === ROOT) {
      // In name order, so that neither the answer nor its explanation depends on declaration order.
      const key = (r: RootRequirement) => `${r.name}\0${r.range}\0${r.source}`
      const roots = [...this.context.roots].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
      this.loadedVersions.set(ROOT, new Set([1]))
      return roots.map((root) => requirementFact(root, this.domains))
    }
    const {domains} = this
    const facts: Incompatibility[] = []
    const tooNew = new Map<string, number[]>()
    const core = domains.semver(this.context.coreVersion)
    const missing = new Map<string, Group>()
    domains.versions(name).forEach((candidate, i) => {
      const index = i + 1
      const minimum = candidate.minProvisioningVersion
      if (minimum && semver.valid(minimum) && domains.semver(minimum).compare(core) > 0) {
        tooNew.set(minimum, [...(tooNew.get(minimum) ?? []), index])
        return
      }
      for (const to of Object.keys(candidate.dependencies).sort()) {
        if (domains.known(to)) continue
        const group = missing.get(to)
        if (group) group.from.push(index)
        else missing.set(to, {relation: 'dependency', to, match: domains.present(to), ranges: [candidate.dependencies[to]], from: [index]})
        if (group && !group.ranges.includes(candidate.dependencies[to])) group.ranges.push(candidate.dependencies[to])
      }
    })
    const excluded = new Set<number>()
    for (const [minimum, indices] of [...tooNew].sort(([a], [b]) => semver.compare(a, b))) {
      for (const i of indices) excluded.add(i)
      facts.push(new Incompatibility([{name, set: domains.only(name, indices)}], {kind: 'core', name, minimum, core: this.context.coreVersion}))
    }
    this.tooNew.set(name, excluded)
    for (const g of missing.values()) facts.push(relationFact(name, g, {name, set: domains.only(name, g.from)}, domains) as Incompatibility)
    return facts
  }

  private readonly batches = new Map<string, number>()

  /**
   * The relations of the next candidates of a name (grouped with the versions that state them
   * alike); call before deciding. The first call loads one version, each further call twice as
   * many: a name whose newest versions keep failing (5,000 versions, only the lowest works) is
   * loaded in a dozen rounds, not one round per version.
   */
  versionFacts(name: string, candidates: Iterable<number>): Incompatibility[] {
    const batch = this.batches.get(name) ?? 1
    this.batches.set(name, batch * 2)
    const facts: Incompatibility[] = []
    let taken = 0
    for (const index of candidates) {
      if (taken === batch) break
      if (index === 0 || this.versionLoaded(name, index)) continue
      facts.push(...this.relationsOf(name, index))
      taken++
    }
    return facts
  }

  private readonly alike = new Map<string, Map<string, number[]>>()

  /** Per name, relation key -> the usable versions stating it: built once, string work only. */
  private sharing(name: string, excluded: Set<number>): Map<string, number[]> {
    let map = this.alike.get(name)
    if (!map) {
      map = new Map()
      for (const [i, v] of this.domains.versions(name).entries()) {
        if (excluded.has(i + 1)) continue
        for (const relation of ['dependency', 'optional', 'conflict'] as const) {
          const targets = relationOf(v, relation)
          for (const to in targets) {
            const key = `${relation}\0${to}\0${targets[to]}`
            const list = map.get(key)
            if (list) list.push(i + 1)
            else map.set(key, [i + 1])
          }
        }
      }
      this.alike.set(name, map)
    }
    return map
  }

  private relationsOf(name: string, index: number): Incompatibility[] {
    const {domains} = this
    let versionsDone = this.loadedVersions.get(name)
    if (!versionsDone) this.loadedVersions.set(name, (versionsDone = new Set()))
    versionsDone.add(index)
    let relationsDone = this.loadedRelations.get(name)
    if (!relationsDone) this.loadedRelations.set(name, (relationsDone = new Set()))
    const excluded = this.tooNew.get(name) ?? new Set<number>()
    const chosen = domains.versions(name)[index - 1]
    const facts: Incompatibility[] = []
    // Too new for the core: its relations never matter (a backjump can undo the derivation
    // that excluded it; deciding it again just meets the core fact once more).
    if (excluded.has(index)) return facts
    const relations: Array<[Relation, Record<string, string>]> = [
      ['dependency', chosen.dependencies],
      ['optional', chosen.optional],
      ['conflict', chosen.conflicts],
    ]
    for (const [relation, targets] of relations) {
      for (const to of Object.keys(targets).sort()) {
        const range = targets[to]
        if (relation === 'dependency' && !domains.known(to)) continue // a name fact already
        const key = `${relation}\0${to}\0${range}`
        if (relationsDone.has(key)) continue
        relationsDone.add(key)
        const from = this.sharing(name, excluded).get(key) as number[]
        const fact = relationFact(
          name,
          {relation, to, match: domains.matching(to, range), ranges: [range], from},
          {name, set: domains.only(name, from)},
          domains,
        )
        if (fact) facts.push(fact)
      }
    }
    return facts
  }
}

function relationOf(candidate: CandidateVersion, relation: Relation): Record<string, string> {
  return relation === 'dependency' ? candidate.dependencies : relation === 'optional' ? candidate.optional : candidate.conflicts
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
