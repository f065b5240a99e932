import {findCycle} from '../install-order.js'
import {NameHeap} from '../name-heap.js'
import type {Domains} from './domains.js'
import {Incompatibility, ROOT, type Term} from './incompatibility.js'
import {packageFacts} from './package-facts.js'
import {type Assignment, PartialSolution} from './partial-solution.js'

export interface SolveOptions {
  coreVersion: string
  roots: import('../types.js').RootRequirement[]
  /** Decision order among required names (lower first). */
  rank: (name: string) => number
  /**
   * Names whose facts are loaded before the first decision (everything reachable through
   * dependencies): versions that can never work (too new for the core, a requirement
   * nothing satisfies) are ruled out by propagation at level 0, instead of being found one
   * decision at a time and undone by a backjump that throws away every later decision.
   */
  reachable: readonly string[]
  /** Version index to try first for a name, when still allowed (the lockfile's). */
  preferred: (name: string) => number | undefined
  limits: {conflicts: number; milliseconds: number}
}

/** No solution exists; `incompatibility` is the root of the proof. */
export class NoSolution {
  constructor(readonly incompatibility: Incompatibility) {}
}

/** The budget ran out before the search finished. */
export class SearchCutShort {
  constructor(readonly conflicts: number, readonly milliseconds: number, readonly reason: 'conflicts' | 'milliseconds') {}
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
  const byName = new Map<string, Incompatibility[]>()
  const all: Incompatibility[] = []
  const loaded = new Set<string>()
  const heap = new NameHeap(options.rank)
  const started = performance.now()
  let conflicts = 0

  const add = (incompatibility: Incompatibility) => {
    all.push(incompatibility)
    for (const term of incompatibility.terms) {
      const list = byName.get(term.name)
      if (list) list.push(incompatibility)
      else byName.set(term.name, [incompatibility])
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
    if ((conflicts & 255) === 0 && performance.now() - started > options.limits.milliseconds) throw new SearchCutShort(conflicts, performance.now() - started, 'milliseconds')
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
        for (const name of solution.backtrack(previousLevel)) if (requiredAndOpen(name)) heap.push(name)
        return incompatibility
      }
      const terms: Term[] = [
        ...incompatibility.terms.filter((t) => t !== term),
        ...satisfier.cause.terms.filter((t) => t.name !== satisfier.name),
      ]
      const difference = satisfier.set.minus(term.set)
      if (!difference.isEmpty()) terms.push({name: satisfier.name, set: difference.complement()})
      incompatibility = new Incompatibility(terms, {kind: 'derived', causes: [incompatibility, satisfier.cause]})
      learned = true
    }
    throw new NoSolution(incompatibility)
  }

  const propagate = (...start: string[]) => {
    const changed = new Set(start)
    while (changed.size > 0) {
      const name = changed.values().next().value as string
      changed.delete(name)
      const list = byName.get(name) ?? []
      for (let i = list.length - 1; i >= 0; i--) {
        const result = propagateOne(list[i])
        if (result === 'conflict') {
          const root = resolveConflict(list[i])
          const derived = propagateOne(root)
          if (typeof derived !== 'string' || derived === 'conflict') throw new Error('internal: a learned incompatibility was not almost satisfied')
          changed.clear()
          changed.add(derived)
          break
        }
        if (result !== undefined) changed.add(result)
      }
    }
  }

  /** Conflict found outside propagation (a cycle, a fact not yet seen): learn, backjump, go on. */
  const conflictAt = (incompatibility: Incompatibility): string => {
    const root = resolveConflict(incompatibility)
    const derived = propagateOne(root)
    if (typeof derived !== 'string' || derived === 'conflict') throw new Error('internal: a learned incompatibility was not almost satisfied')
    return derived
  }

  /** The next name to decide, loading its facts first; undefined when nothing required is open. */
  const decide = (): {name: string; loadedOnly: boolean} | undefined => {
    for (let name = heap.pop(); name !== undefined; name = heap.pop()) {
      if (!requiredAndOpen(name)) continue
      if (!loaded.has(name)) {
        load(name)
        heap.push(name)
        return {name, loadedOnly: true}
      }
      const allowed = solution.allowed(name)
      const preferred = options.preferred(name)
      const index = preferred !== undefined && allowed.has(preferred) ? preferred : allowed.firstVersion()
      if (index === undefined) throw new Error(`internal: ${name} has no allowed version left`)
      solution.decide(name, index)
      return {name, loadedOnly: false}
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
      edges.set(name, Object.keys(domains.version(name, index).dependencies).filter((d) => (solution.decided.get(d) ?? 0) > 0))
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

  add(new Incompatibility([{name: ROOT, set: domains.absent(ROOT)}], {kind: 'root'}))
  const load = (name: string) => {
    loaded.add(name)
    for (const fact of packageFacts(name, domains, options)) add(fact)
  }
  for (const name of [ROOT, ...options.reachable]) load(name)
  propagate(ROOT, ...options.reachable)
  let next = ROOT
  for (;;) {
    propagate(next)
    const decision = decide()
    if (decision) {
      next = decision.name
      continue
    }
    const leftOut = brokenByAbsence()
    if (leftOut !== undefined) {
      solution.decide(leftOut, 0)
      next = leftOut
      continue
    }
    const cycle = cycleFact()
    if (!cycle) break
    add(cycle)
    next = conflictAt(cycle)
  }
  const selected = new Map<string, number>()
  for (const [name, index] of solution.decided) if (name !== ROOT && index > 0) selected.set(name, index)
  return selected
}
