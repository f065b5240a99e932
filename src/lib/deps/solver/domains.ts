import semver from 'semver'

import {ResolutionError} from '../../errors.js'
import type {CandidateVersion, Catalog} from '../types.js'
import {ROOT} from './incompatibility.js'
import {VersionSet} from './version-set.js'

/**
 * Every name's finite domain: its published versions, highest first (index 1 = highest,
 * index 0 = absent), the sets that ranges select from them, and how to write a set back
 * as text for explanations.
 */
export class Domains {
  private readonly sorted = new Map<string, CandidateVersion[]>()
  /** Parsed once: node-semver re-parses version strings on every compare and test otherwise. */
  private readonly parsed = new Map<string, semver.SemVer[]>()
  private readonly matches = new Map<string, VersionSet>()
  /** Per name, a set's key -> the first range text that selected exactly it. */
  private readonly texts = new Map<string, Map<string, string>>()
  private readonly ranges = new Map<string, semver.Range>()
  private readonly basics = new Map<string, {full: VersionSet; absent: VersionSet; present: VersionSet}>()
  readonly workspace: CandidateVersion

  /** The workspace's requirements are facts of their own (package-facts.ts), not relations of this version. */
  constructor(readonly catalog: Catalog) {
    this.workspace = {name: ROOT, version: '0.0.0', tag: '', dependencies: {}, optional: {}, conflicts: {}}
  }

  private readonly semvers = new Map<string, semver.SemVer>()

  /** Version strings repeat across names (`1.0.0`, `2.1.0`): parse each once (SemVer objects are never mutated here). */
  semver(text: string): semver.SemVer {
    let parsed = this.semvers.get(text)
    if (!parsed) this.semvers.set(text, (parsed = new semver.SemVer(text)))
    return parsed
  }

  /** Versions of a name, highest first (ties by tag, so the order never depends on the catalog's). */
  versions(name: string): CandidateVersion[] {
    let list = this.sorted.get(name)
    if (!list) {
      const pairs = (name === ROOT ? [this.workspace] : [...(this.catalog.versions(name) ?? [])]).map((c) => ({c, v: this.semver(c.version)}))
      pairs.sort((a, b) => b.v.compare(a.v) || (a.c.tag < b.c.tag ? -1 : a.c.tag > b.c.tag ? 1 : 0))
      // One choice per version whatever the catalog gives (the registry catalog already keeps
      // one tag per version, the local one refuses two folders of one version): `1.1.0` and
      // `v1.1.0` would be two choices a lock cannot tell apart; the plain tag sorts first.
      const unique = pairs.filter((p, i) => i === 0 || p.c.version !== pairs[i - 1].c.version)
      list = unique.map((p) => p.c)
      this.sorted.set(name, list)
      this.parsed.set(
        name,
        unique.map((p) => p.v),
      )
    }
    return list
  }

  known(name: string): boolean {
    return name === ROOT || this.catalog.versions(name) !== undefined
  }

  size(name: string): number {
    return this.versions(name).length + 1
  }

  full(name: string): VersionSet {
    return this.basic(name).full
  }

  absent(name: string): VersionSet {
    return this.basic(name).absent
  }

  /** Every version, not absent: "installed, at any version". */
  present(name: string): VersionSet {
    return this.basic(name).present
  }

  /** Sets are immutable, so the three every name needs are built once and shared. */
  private basic(name: string): {full: VersionSet; absent: VersionSet; present: VersionSet} {
    let sets = this.basics.get(name)
    if (!sets) {
      const size = this.size(name)
      const absent = VersionSet.of(size, [0])
      sets = {full: VersionSet.full(size), absent, present: absent.complement()}
      this.basics.set(name, sets)
    }
    return sets
  }

  only(name: string, indices: Iterable<number>): VersionSet {
    return VersionSet.of(this.size(name), indices)
  }

  range(text: string): semver.Range {
    let range = this.ranges.get(text)
    if (!range) {
      try {
        range = new semver.Range(text)
      } catch {
        throw new ResolutionError(`invalid version range "${text}"`, {
          hint: 'use node-semver range syntax: >=1.7.0, ^1.2, ~1.2.3, 1.x, *',
          details: {range: text},
        })
      }
      this.ranges.set(text, range)
    }
    return range
  }

  /** The versions of `name` a range text selects (never absent). */
  matching(name: string, text: string): VersionSet {
    const key = `${name}\0${text}`
    let set = this.matches.get(key)
    if (!set) {
      const range = this.range(text)
      const indices: number[] = []
      const exact = exactVersion(range)
      if (exact !== undefined) {
        // A pin: one lookup instead of testing every version (5,000 pins on a 5,000-version name).
        const index = this.indexOf(name).get(exact)
        if (index !== undefined) indices.push(...index)
      } else {
        this.versions(name)
        ;(this.parsed.get(name) as semver.SemVer[]).forEach((v, i) => range.test(v) && indices.push(i + 1))
      }
      set = this.only(name, indices)
      this.matches.set(key, set)
      let texts = this.texts.get(name)
      if (!texts) this.texts.set(name, (texts = new Map()))
      if (!texts.has(set.key())) texts.set(set.key(), text)
    }
    return set
  }

  private readonly byVersion = new Map<string, Map<string, number[]>>()

  /** Normalized version -> indices (usually one; `1.0.0` and `v1.0.0` tags may both exist). */
  private indexOf(name: string): Map<string, number[]> {
    let map = this.byVersion.get(name)
    if (!map) {
      map = new Map()
      for (const [i, v] of this.versions(name).entries()) map.set(v.version, [...(map.get(v.version) ?? []), i + 1])
      this.byVersion.set(name, map)
    }
    return map
  }

  version(name: string, index: number): CandidateVersion {
    return this.versions(name)[index - 1]
  }

  /**
   * A set of versions as text: `any version`, a range that selected exactly it, one version,
   * or runs of adjacent versions (`>=1.0.1 <=1.0.3`, `1.2.0 || >=2.0.0`). Absent is left out.
   */
  describe(name: string, set: VersionSet): string {
    const versions = this.versions(name)
    const chosen = set.minus(this.absent(name))
    if (chosen.equals(this.present(name))) return versions.length === 1 ? versions[0].version : 'any version'
    const named = this.texts.get(name)?.get(chosen.key())
    if (named) return named
    // Ascending order: the lowest version has the highest index.
    const runs: Array<[number, number]> = []
    for (let i = versions.length; i >= 1; i--) {
      if (!chosen.has(i)) continue
      const last = runs.at(-1)
      if (last && last[1] === i + 1) last[1] = i
      else runs.push([i, i])
    }
    if (runs.length === 0) return 'no version'
    return runs
      .map(([low, high]) => {
        if (low === high) return versions[low - 1].version
        const from = versions[low - 1].version
        const to = versions[high - 1].version
        if (low === versions.length) return `<=${to}`
        if (high === 1) return `>=${from}`
        return `>=${from} <=${to}`
      })
      .join(' || ')
  }

  /** Published versions in ascending order, for "available versions of x: …". */
  available(name: string): string[] {
    return this.versions(name)
      .map((v) => v.version)
      .reverse()
  }
}

/** The version a range pins exactly (`1.2.3`, `=1.2.3`), if it is nothing else. */
function exactVersion(range: semver.Range): string | undefined {
  if (range.set.length !== 1 || range.set[0].length !== 1) return undefined
  const [comparator] = range.set[0]
  return comparator.operator === '' && comparator.semver instanceof semver.SemVer ? comparator.semver.version : undefined
}
