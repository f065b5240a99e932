import type {VersionSet} from './version-set.js'

/** The workspace as a pseudo-extension with one version whose dependencies are the roots. */
export const ROOT = '' // never an extension name (names start with [a-z0-9])

/** A statement about one name: "its value (absent or a version) lies in `set`". */
export interface Term {
  name: string
  set: VersionSet
}

/** Why an incompatibility holds: an external fact about the catalog, or derived from two others. */
export type Cause =
  | {kind: 'root'}
  | {kind: 'requirement'; to: string; range: string; source: string; location?: string}
  | {kind: 'dependency' | 'optional' | 'conflict'; from: string; to: string; ranges: string[]}
  | {kind: 'core'; name: string; minimum: string; core: string}
  | {kind: 'no-versions'; name: string; range: string; unknown: boolean}
  | {kind: 'cycle'; path: string[]}
  | {kind: 'derived'; causes: [Incompatibility, Incompatibility]}

let nextId = 0

/**
 * A set of terms that must not all hold at once (pub's solver.md). Terms on the same name
 * are merged by intersection, terms that always hold are dropped, and a derived
 * incompatibility drops the workspace's own term (always true once resolution starts).
 */
export class Incompatibility {
  readonly id = nextId++
  readonly terms: Term[]

  constructor(
    terms: Term[],
    readonly cause: Cause,
  ) {
    // Most facts have two terms on different names: skip the merge map for them.
    const distinct = terms.length < 2 || (terms.length === 2 && terms[0].name !== terms[1].name)
    let merged: Term[]
    if (distinct) {
      merged = terms.filter((t) => !t.set.isFull())
    } else {
      const byName = new Map<string, VersionSet>()
      for (const term of terms) {
        const previous = byName.get(term.name)
        byName.set(term.name, previous ? previous.intersect(term.set) : term.set)
      }
      merged = [...byName].filter(([, set]) => !set.isFull()).map(([name, set]) => ({name, set}))
    }
    if (cause.kind === 'derived' && merged.length > 1) merged = merged.filter((t) => t.name !== ROOT || t.set.allowsAbsent)
    this.terms = merged
  }

  /** No terms, or only "the workspace is installed": no solution exists. */
  get failsResolution(): boolean {
    return this.terms.length === 0 || (this.terms.length === 1 && this.terms[0].name === ROOT && !this.terms[0].set.allowsAbsent)
  }

  term(name: string): Term | undefined {
    return this.terms.find((t) => t.name === name)
  }
}
