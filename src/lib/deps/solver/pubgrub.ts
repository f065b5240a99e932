import {findCycle} from '../../util/graph.js'
import {NameHeap} from '../name-heap.js'
import type {RootRequirement} from '../types.js'
import type {Domains} from './domains.js'
import {Incompatibility, ROOT, type Term} from './incompatibility.js'
import {FactLoader} from './package-facts.js'
import {type Assignment, PartialSolution} from './partial-solution.js'
import type {VersionSet} from './version-set.js'

export interface SolveOptions {
  coreVersion: string
  roots: RootRequirement[]
  /** Decision order among required names (lower first). */
  rank: (name: string) => number
  /** Version index to try first for a name, when still allowed (the lockfile's). */
  preferred: (name: string) => number | undefined
  limits: {conflicts: number; milliseconds: number}
}

/** How many decision levels a conflict may undo at once before backtracking chronologically. */
const BACKJUMP_DISTANCE = 32

/** No solution exists; `incompatibility` is the root of the proof. */
export class NoSolution {
  constructor(readonly incompatibility: Incompatibility) {}
}

/** The budget ran out before the search finished. */
export class SearchCutShort {
  constructor(
    readonly conflicts: number,
    readonly milliseconds: number,
    readonly reason: 'conflicts' | 'milliseconds',
  ) {}
}

/**
 * PubGrub (Dart pub's doc/solver.md): unit propagation over incompatibilities, decisions
 * (highest allowed version, the locked one first), and conflict resolution that learns a
 * new incompatibility and backjumps. Two additions for this platform's rules:
 * - a name may be left out; a learned fact that needs one of several absent names
 *   installed is honoured by deciding one of them "absent" explicitly, so it can be undone;
 * - a cycle of hard dependencies in a complete assignment becomes a learned fact
 *   ("these versions together form a cycle") and the search goes on; it is reported only
 *   when every choice makes one.
 * Returns name -> version index (1-based, highest first) for every installed name.
 */
export function solve(domains: Domains, options: SolveOptions): Map<string, number> {
  const solution = new PartialSolution(domains)
  // Facts by name, bucketed by their term on that name: when a name's allowed set changes,
  // a fact can only become unit or conflicting if that term became satisfied, so one check
  // per distinct term skips whole buckets (a popular extension has thousands of dependents
  // but a few dozen distinct ranges).
  // Buckets are keyed by set identity: facts built from one range share one set object.
  const byName = new Map<string, Map<VersionSet, Incompatibility[]>>()
  const all: Incompatibility[] = []
  const loader = new FactLoader(domains, options)
  const heap = new NameHeap(options.rank)
  const started = performance.now()
  let conflicts = 0

  const add = (incompatibility: Incompatibility) => {
    all.push(incompatibility)
    for (const term of incompatibility.terms) {
      let buckets = byName.get(term.name)
      if (!buckets) byName.set(term.name, (buckets = new Map()))
      const bucket = buckets.get(term.set)
      if (bucket) bucket.push(incompatibility)
      else buckets.set(term.set, [incompatibility])
    }
  }
  const requiredAndOpen = (name: string) => !solution.decided.has(name) && !solution.allowed(name).allowsAbsent

  /** Derives from an incompatibility that has one undecided term; returns that term's name. */
  const propagateOne = (incompatibility: Incompatibility): string | 'conflict' | undefined => {
    let unsatisfied: Term | undefined
    for (const term of incompatibility.terms) {
      const relation = solution.relation(term)
      if (relation === 'contradicted') return undefined
      if (relation === 'inconclusive') {
        if (unsatisfied) return undefined
        unsatisfied = term
      }
    }
    if (!unsatisfied) return 'conflict'
    solution.derive(unsatisfied.name, unsatisfied.set.complement(), incompatibility)
    if (requiredAndOpen(unsatisfied.name)) heap.push(unsatisfied.name)
    return unsatisfied.name
  }

  const resolveConflict = (conflicting: Incompatibility): Incompatibility => {
    conflicts++
    if (conflicts > options.limits.conflicts) throw new SearchCutShort(conflicts - 1, performance.now() - started, 'conflicts')
    if ((conflicts & 255) === 0 && performance.now() - started > options.limits.milliseconds)
      throw new SearchCutShort(conflicts, performance.now() - started, 'milliseconds')
    let incompatibility = conflicting
    let learned = false
    while (!incompatibility.failsResolution) {
      let satisfier: Assignment | undefined
      let term: Term | undefined
      for (const t of incompatibility.terms) {
        const s = solution.satisfier(t) as Assignment
        if (!satisfier || s.index > satisfier.index) {
          satisfier = s
          term = t
        }
      }
      if (!satisfier || !term) throw new Error('internal: a conflict without a satisfier')
      let previousLevel = 1
      for (const t of incompatibility.terms) {
        const previous = t === term ? solution.satisfier(t, satisfier) : solution.satisfier(t)
        if (previous) previousLevel = Math.max(previousLevel, previous.level)
      }
      if (!satisfier.cause || previousLevel < satisfier.level) {
        if (learned) add(incompatibility)
        // Any level from previousLevel to satisfier.level - 1 leaves the incompatibility
        // almost satisfied. A far backjump discards every decision in between, most of them
        // unrelated (a fact found late about one name sent the whole search back to the
        // start); beyond a short distance, undo just the satisfier's level (chronological
        // backtracking, Nadel & Ryvchin 2018) and keep the rest.
        const level = satisfier.level - previousLevel > BACKJUMP_DISTANCE ? satisfier.level - 1 : previousLevel
        for (const name of solution.backtrack(level)) if (requiredAndOpen(name)) heap.push(name)
        return incompatibility
      }
      const terms: Term[] = [...incompatibility.terms.filter((t) => t !== term), ...satisfier.cause.terms.filter((t) => t.name !== satisfier.name)]
      const difference = satisfier.set.minus(term.set)
      if (!difference.isEmpty()) terms.push({name: satisfier.name, set: difference.complement()})
      incompatibility = new Incompatibility(terms, {kind: 'derived', causes: [incompatibility, satisfier.cause]})
      learned = true
    }
    throw new NoSolution(incompatibility)
  }

  /**
   * Unit propagation from changed names and from facts not checked yet (just loaded or
   * learned). A name that becomes required has its facts loaded there and then, so what
   * rules its versions out is known before anything else is decided.
   */
  const propagate = (names: Iterable<string>, fresh: Incompatibility[] = []) => {
    const changed = new Set(names)
    const pending = [...fresh]
    const check = (fact: Incompatibility): boolean => {
      let result = propagateOne(fact)
      let conflicted = false
      if (result === 'conflict') {
        conflicted = true
        result = propagateOne(resolveConflict(fact))
        if (typeof result !== 'string' || result === 'conflict') throw new Error('internal: a learned incompatibility was not almost satisfied')
      }
      if (result !== undefined) {
        changed.add(result)
        if (!loader.nameLoaded(result) && requiredAndOpen(result)) pending.push(...load(loader.nameFacts(result)))
      }
      return conflicted
    }
    while (pending.length > 0 || changed.size > 0) {
      const fact = pending.pop()
      if (fact) {
        check(fact)
        continue
      }
      const name = changed.values().next().value as string
      changed.delete(name)
      scan: for (const [set, facts] of byName.get(name) ?? []) {
        if (!solution.allowed(name).isSubsetOf(set)) continue
        for (let i = facts.length - 1; i >= 0; i--) if (check(facts[i])) break scan
      }
    }
  }

  /** The next name to decide, loading its facts first; undefined when nothing required is open. */
  const decide = (): {name: string; fresh?: Incompatibility[]} | undefined => {
    for (let name = heap.pop(); name !== undefined; name = heap.pop()) {
      if (!requiredAndOpen(name)) continue
      if (!loader.nameLoaded(name)) {
        heap.push(name)
        return {name, fresh: load(loader.nameFacts(name))}
      }
      const allowed = solution.allowed(name)
      const preferred = options.preferred(name)
      const index = preferred !== undefined && allowed.has(preferred) ? preferred : allowed.firstVersion()
      if (index === undefined) throw new Error(`internal: ${name} has no allowed version left`)
      if (!loader.versionLoaded(name, index)) {
        // Its relations first: they may rule it (and its like) out before it is chosen.
        const fresh = load(loader.versionFacts(name, index === preferred ? [index, ...allowed.indices()] : allowed.indices()))
        if (fresh.length > 0) {
          heap.push(name)
          return {name, fresh}
        }
      }
      solution.decide(name, index)
      return {name}
    }
    return undefined
  }

  /** A fact the complete assignment breaks through names left out (see the note above). */
  const brokenByAbsence = (): string | undefined => {
    for (const incompatibility of all) {
      let open: string | undefined
      let holds = true
      for (const term of incompatibility.terms) {
        const decided = solution.decided.get(term.name)
        const value = decided ?? 0
        if (!term.set.has(value)) {
          holds = false
          break
        }
        if (decided === undefined) open ??= term.name
      }
      if (holds && open !== undefined) return open
    }
    return undefined
  }

  const cycleFact = (): Incompatibility | undefined => {
    const edges = new Map<string, string[]>()
    for (const [name, index] of solution.decided) {
      if (name === ROOT || index === 0) continue
      edges.set(
        name,
        Object.keys(domains.version(name, index).dependencies).filter((d) => (solution.decided.get(d) ?? 0) > 0),
      )
    }
    const cycle = findCycle(edges)
    if (!cycle) return undefined
    // Every version of each member that requires the next member closes the same cycle.
    const terms = cycle.slice(0, -1).map((name, i) => {
      const next = cycle[i + 1]
      const indices = domains.versions(name).flatMap((v, j) => (Object.hasOwn(v.dependencies, next) ? [j + 1] : []))
      return {name, set: domains.only(name, indices)}
    })
    return new Incompatibility(terms, {kind: 'cycle', path: cycle})
  }

  const load = (facts: Incompatibility[]): Incompatibility[] => {
    for (const fact of facts) add(fact)
    return facts
  }
  const rootFact = new Incompatibility([{name: ROOT, set: domains.absent(ROOT)}], {kind: 'root'})
  add(rootFact)
  propagate([], [rootFact])
  for (;;) {
    const decision = decide()
    if (decision) {
      propagate([decision.name], decision.fresh)
      continue
    }
    const leftOut = brokenByAbsence()
    if (leftOut !== undefined) {
      solution.decide(leftOut, 0)
      propagate([leftOut])
      continue
    }
    const cycle = cycleFact()
    if (!cycle) break
    add(cycle)
    propagate([], [cycle])
  }
  const selected = new Map<string, number>()
  for (const [name, index] of solution.decided) if (name !== ROOT && index > 0) selected.set(name, index)
  return selected
}
