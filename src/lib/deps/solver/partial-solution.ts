import type {Domains} from './domains.js'
import type {Incompatibility, Term} from './incompatibility.js'
import type {VersionSet} from './version-set.js'

export interface Assignment {
  name: string
  set: VersionSet
  /** Decisions made at or before this assignment (the workspace's own decision is level 1). */
  level: number
  /** Position in the partial solution. */
  index: number
  /** The incompatibility it was derived from; none for a decision. */
  cause?: Incompatibility
}

export type Relation = 'satisfied' | 'contradicted' | 'inconclusive'

/** Pub's partial solution: decisions and derivations in order, with each name's running intersection. */
export class PartialSolution {
  private readonly assignments: Assignment[] = []
  private readonly byName = new Map<string, Assignment[]>()
  private readonly allowedSets = new Map<string, VersionSet>()
  /** name -> decided version index (0 = decided absent). */
  readonly decided = new Map<string, number>()
  level = 0

  constructor(private readonly domains: Domains) {}

  allowed(name: string): VersionSet {
    return this.allowedSets.get(name) ?? this.domains.full(name)
  }

  relation(term: Term): Relation {
    const allowed = this.allowed(term.name)
    if (allowed.isSubsetOf(term.set)) return 'satisfied'
    if (allowed.isDisjointFrom(term.set)) return 'contradicted'
    return 'inconclusive'
  }

  derive(name: string, set: VersionSet, cause: Incompatibility): void {
    this.assign({name, set, level: this.level, index: this.assignments.length, cause})
  }

  decide(name: string, index: number): void {
    this.level++
    this.decided.set(name, index)
    this.assign({name, set: this.domains.only(name, [index]), level: this.level, index: this.assignments.length})
  }

  private assign(assignment: Assignment): void {
    this.assignments.push(assignment)
    const list = this.byName.get(assignment.name)
    if (list) list.push(assignment)
    else this.byName.set(assignment.name, [assignment])
    this.allowedSets.set(assignment.name, this.allowed(assignment.name).intersect(assignment.set))
  }

  /** Removes every assignment above `level`; returns the names whose state changed. */
  backtrack(level: number): Set<string> {
    const touched = new Set<string>()
    while (this.assignments.length > 0 && (this.assignments.at(-1) as Assignment).level > level) {
      const assignment = this.assignments.pop() as Assignment
      touched.add(assignment.name)
      this.byName.get(assignment.name)?.pop()
      if (!assignment.cause) this.decided.delete(assignment.name)
    }
    for (const name of touched) {
      const list = this.byName.get(name) ?? []
      if (list.length === 0) {
        this.byName.delete(name)
        this.allowedSets.delete(name)
        continue
      }
      let allowed = this.domains.full(name)
      for (const a of list) allowed = allowed.intersect(a.set)
      this.allowedSets.set(name, allowed)
    }
    this.level = level
    return touched
  }

  /**
   * The earliest assignment after which `term` holds, optionally with `extra` assumed
   * first (pub's previous satisfier: what else was needed besides the satisfier).
   */
  satisfier(term: Term, extra?: Assignment): Assignment | undefined {
    let allowed = extra ? this.domains.full(term.name).intersect(extra.set) : this.domains.full(term.name)
    if (allowed.isSubsetOf(term.set)) return undefined
    for (const a of this.byName.get(term.name) ?? []) {
      if (extra && a.index >= extra.index) break
      allowed = allowed.intersect(a.set)
      if (allowed.isSubsetOf(term.set)) return a
    }
    if (extra) return undefined
    throw new Error(`internal: ${term.name} is not satisfied by the partial solution`)
  }
}
