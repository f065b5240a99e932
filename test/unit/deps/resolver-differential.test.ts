/**
 * The resolver against the brute-force oracle (brute-force.ts) on thousands of small random
 * registries: hard and optional dependencies, conflicts, min_provisioning_version,
 * pre-releases, unknown names and cycles. For each registry:
 *  - the resolver and the oracle agree on whether there is a solution;
 *  - a selection is a solution (solutionProblems) that no other solution dominates (every
 *    name at the same or a higher version, one higher), and `order` puts every hard
 *    dependency before its dependent;
 *  - a failure is a ResolutionError (E_RESOLUTION, never the limit error) with a message;
 *  - resolving again, and with the roots in another order, gives the same answer.
 * A mismatch is printed as its seed and a JSON fixture. Replay one with
 * RESOLVER_DIFF_SEED=<seed> or RESOLVER_DIFF_FIXTURE='<json>' (then only that case runs).
 */
import {describe, expect, it} from 'vitest'

import {resolve} from '../../../src/lib/deps/resolver.js'
import type {CandidateVersion, ResolveInput, RootRequirement} from '../../../src/lib/deps/types.js'
import {ProvisioningError, ResolutionError} from '../../../src/lib/errors.js'
import {prng} from '../../helpers/deps.js'
import {allSolutions, dominates, hasHardCycle, solutionProblems, versionsOf} from './brute-force.js'
import {catalogOf} from './catalog-of.js'
import {candidate} from './example-catalog.js'

const FIRST_SEED = 1
const BATCHES = 8
const PER_BATCH = 500
const CORE = '1.0.0'

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f']
const RELEASES = ['1.0.0', '1.1.0', '1.1.5', '1.2.0', '2.0.0', '3.0.0']
const PRERELEASES = ['1.0.0-rc.1', '1.1.0-rc.1', '2.0.0-beta.1']
const RANGES = ['*', '^1', '~1.1', '>=1.1.0', '<2', '1.x || 3.x', '>=1.0.0-rc.0', '>=1.1.0-rc.0', '^2', '>=1.2.0 <3']
const UNKNOWN = 'ghost'

interface Case {
  seed: number
  roots: RootRequirement[]
  versions: CandidateVersion[]
}

/** A random registry and roots: 2-6 names, 1-4 versions each, in catalog order shuffled. */
function generate(seed: number): Case {
  const random = prng(seed)
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1))
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]
  const chance = (p: number) => random() < p
  const shuffled = <T>(xs: readonly T[]): T[] => {
    const out = [...xs]
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[out[i], out[j]] = [out[j], out[i]]
    }
    return out
  }

  const names = NAMES.slice(0, int(2, 6))
  const versionsOf = new Map<string, string[]>()
  for (const name of names) {
    const list = shuffled(RELEASES).slice(0, int(1, 4))
    if (chance(0.15)) list.push(pick(PRERELEASES.filter((p) => !list.includes(p))))
    versionsOf.set(name, shuffled(list))
  }
  // An exact version of the target now and then (a pre-release too: exact ranges name it).
  const range = (name: string) => (chance(0.2) ? pick(versionsOf.get(name) ?? RELEASES) : pick(RANGES))
  // Some registries have no cycle at all: hard dependencies only point to later names.
  const acyclic = chance(0.4)
  const versions: CandidateVersion[] = []
  for (const [index, name] of names.entries()) {
    for (const version of versionsOf.get(name) as string[]) {
      // As the manifest schema allows: no name lists itself, and no name is in two relations
      // of one version (a dependency that is also a conflict is refused, the rest warned about).
      const used = new Set([name])
      const relation = (count: number, targets = names): Record<string, string> => {
        const out: Record<string, string> = {}
        for (let k = 0; k < count && targets.length > 0; k++) {
          const other = chance(0.05) ? UNKNOWN : pick(targets)
          if (used.has(other)) continue
          used.add(other)
          out[other] = range(other)
        }
        return out
      }
      const min = chance(0.12) ? pick(['0.9.0', CORE, '2.0.0']) : undefined
      versions.push(
        candidate(name, version, {
          dependencies: relation(pick([0, 0, 1, 1, 1, 2, 2, 3]), acyclic ? names.slice(index + 1) : names),
          optional: relation(chance(0.3) ? 1 : 0),
          conflicts: relation(chance(0.2) ? 1 : 0),
          ...(min ? {minProvisioningVersion: min} : {}),
        }),
      )
    }
  }

  const rootNames = shuffled(names).slice(0, int(1, Math.min(3, names.length)))
  if (chance(0.03)) rootNames.push(UNKNOWN)
  const roots = rootNames.map((name, k) => ({name, range: chance(0.5) ? '*' : range(name), source: `modules[${k}]`}))
  if (chance(0.08)) roots.push({name: roots[0].name, range: range(roots[0].name), source: `modules[${roots.length}]`})
  return {seed, roots, versions}
}

/** The compact, reproducible form of a case (paste it into RESOLVER_DIFF_FIXTURE or a unit test). */
function fixtureOf(c: Case): string {
  const nonEmpty = (r: Record<string, string>) => (Object.keys(r).length > 0 ? r : undefined)
  return JSON.stringify({
    seed: c.seed,
    core: CORE,
    roots: c.roots.map((r) => [r.name, r.range]),
    versions: c.versions.map((v) => [
      v.name,
      v.version,
      {d: nonEmpty(v.dependencies), o: nonEmpty(v.optional), c: nonEmpty(v.conflicts), min: v.minProvisioningVersion},
    ]),
  })
}

function caseOf(fixture: string): Case {
  type Relations = {d?: Record<string, string>; o?: Record<string, string>; c?: Record<string, string>; min?: string}
  const f = JSON.parse(fixture) as {seed?: number; roots: Array<[string, string]>; versions: Array<[string, string, Relations]>}
  return {
    seed: f.seed ?? -1,
    roots: f.roots.map(([name, range], k) => ({name, range, source: `modules[${k}]`})),
    versions: f.versions.map(([name, version, r]) =>
      candidate(name, version, {
        dependencies: r.d ?? {},
        optional: r.o ?? {},
        conflicts: r.c ?? {},
        ...(r.min ? {minProvisioningVersion: r.min} : {}),
      }),
    ),
  }
}

type Outcome =
  | {ok: true; selected: Record<string, string>; order: string[]; selection: ReadonlyMap<string, CandidateVersion>}
  | {ok: false; error: unknown; code?: string; message: string}

function attempt(input: ResolveInput): Outcome {
  try {
    const result = resolve(input)
    return {ok: true, selected: versionsOf(result.selected), order: result.order, selection: result.selected}
  } catch (error) {
    return {
      ok: false,
      error,
      code: error instanceof ProvisioningError ? error.code : undefined,
      message: error instanceof Error ? error.message : String(error),
    }
  }
}

const same = (a: Outcome, b: Outcome) =>
  a.ok && b.ok
    ? JSON.stringify([a.selected, a.order]) === JSON.stringify([b.selected, b.order])
    : !a.ok && !b.ok && a.code === b.code && a.message === b.message

/** Where `order` breaks "every hard dependency before its dependent", or is not the selected names. */
function orderProblems(order: readonly string[], selection: ReadonlyMap<string, CandidateVersion>): string[] {
  if (JSON.stringify([...order].sort()) !== JSON.stringify([...selection.keys()].sort())) return [`order ${order.join(',')} is not the selected names`]
  const position = new Map(order.map((name, i) => [name, i]))
  const problems: string[] = []
  for (const [name, c] of selection) {
    for (const dep of Object.keys(c.dependencies)) {
      if ((position.get(dep) ?? -1) > (position.get(name) as number)) problems.push(`${dep} comes after ${name}, which requires it`)
    }
  }
  return problems
}

interface Mismatch {
  kind: string
  seed: number
  detail: string
  fixture: string
  /** Whether the catalog has a cycle of hard dependencies among names (over all versions). */
  cyclicCatalog: boolean
}

const firstLine = (text: string) => text.split('\n')[0]

/** Runs one case; returns what went wrong (nothing when the resolver is right). */
function check(c: Case): {mismatches: Mismatch[]; satisfiable: boolean; cyclicCatalog: boolean} {
  const input: ResolveInput = {roots: c.roots, catalog: catalogOf(c.versions), coreVersion: CORE}
  const solutions = allSolutions(input)
  // Every name with every version at once: a cycle there means some choice could make one.
  const everything = new Map<string, CandidateVersion>()
  for (const v of c.versions) {
    const merged = everything.get(v.name)
    everything.set(v.name, {...v, dependencies: {...merged?.dependencies, ...v.dependencies}})
  }
  const cyclicCatalog = hasHardCycle(everything)
  const mismatches: Mismatch[] = []
  const report = (kind: string, detail: string) => mismatches.push({kind, seed: c.seed, detail, fixture: fixtureOf(c), cyclicCatalog})

  const first = attempt(input)
  if (first.ok) {
    if (solutions.length === 0) report('solved an unsatisfiable input', JSON.stringify(first.selected))
    else {
      const problems = solutionProblems(first.selection, input)
      if (problems.length > 0) report('selection is not a solution', `${JSON.stringify(first.selected)}: ${problems.join('; ')}`)
      const better = solutions.find((s) => dominates(s, first.selection))
      if (better) report('a better solution exists', `${JSON.stringify(first.selected)}, but ${JSON.stringify(versionsOf(better))} is valid`)
    }
    const order = orderProblems(first.order, first.selection)
    if (order.length > 0) report('order is not topological', `${first.order.join(',')}: ${order.join('; ')}`)
  } else if (!(first.error instanceof ProvisioningError)) {
    report('crashed', first.error instanceof Error ? (first.error.stack ?? first.message) : first.message)
  } else if (first.code === 'E_RESOLUTION_LIMIT') {
    report('hit a search limit nobody set', firstLine(first.message))
  } else if (!(first.error instanceof ResolutionError) || first.code !== 'E_RESOLUTION') {
    report('failed with the wrong error', `${first.code}: ${firstLine(first.message)}`)
  } else if (solutions.length > 0) {
    const kind = /cycle/i.test(first.message) ? 'reported a cycle on a solvable input' : 'failed on a solvable input'
    report(kind, `${firstLine(first.message)}; e.g. ${JSON.stringify(versionsOf(solutions[0]))} is valid`)
  } else if (first.message.trim() === '') {
    report('failed without a message', '')
  }

  if (!same(first, attempt(input))) report('not deterministic', 'a second resolve of the same input differs')
  const reordered = [...c.roots.slice(1), ...c.roots.slice(0, 1)].reverse()
  if (!same(first, attempt({...input, roots: reordered}))) report('depends on the order of the roots', reordered.map((r) => r.name).join(','))
  return {mismatches, satisfiable: solutions.length > 0, cyclicCatalog}
}

function summary(mismatches: Mismatch[]): string {
  const byKind = new Map<string, Mismatch[]>()
  for (const m of mismatches) byKind.set(m.kind, [...(byKind.get(m.kind) ?? []), m])
  const lines: string[] = []
  for (const [kind, list] of byKind) {
    const acyclic = list.filter((m) => !m.cyclicCatalog).length
    lines.push(`${kind}: ${list.length} case(s) (${acyclic} with an acyclic catalog)`)
    for (const m of list.slice(0, 3)) lines.push(`  seed ${m.seed}: ${m.detail}`, `    RESOLVER_DIFF_FIXTURE='${m.fixture}'`)
  }
  return lines.join('\n')
}

function runAll(cases: Case[]): void {
  const mismatches: Mismatch[] = []
  let satisfiable = 0
  let cyclic = 0
  for (const c of cases) {
    const result = check(c)
    mismatches.push(...result.mismatches)
    if (result.satisfiable) satisfiable++
    if (result.cyclicCatalog) cyclic++
  }
  const seeds = new Set(mismatches.map((m) => m.seed))
  const head = `${cases.length} registries (${satisfiable} satisfiable, ${cyclic} with a cyclic catalog): ${seeds.size} disagree`
  if (process.env.RESOLVER_DIFF_VERBOSE) console.log(`${head}\n${summary(mismatches)}`)
  expect(mismatches.length, `${head}\n${summary(mismatches)}`).toBe(0)
}

describe('resolver against the brute-force oracle', () => {
  it('the oracle knows the rules (hand-made cases)', () => {
    const input = (versions: CandidateVersion[], roots: Array<[string, string]>): ResolveInput => ({
      catalog: catalogOf(versions),
      coreVersion: CORE,
      roots: roots.map(([name, range]) => ({name, range, source: name})),
    })
    const all = (i: ResolveInput) => allSolutions(i).map(versionsOf)
    // Cycles: only the acyclic choice is a solution.
    const cyclic = [candidate('a', '1.1.0', {dependencies: {b: '*'}}), candidate('b', '1.0.0', {dependencies: {a: '*'}}), candidate('a', '1.0.0')]
    expect(all(input(cyclic, [['a', '*']]))).toEqual([{a: '1.0.0'}])
    expect(all(input([candidate('a', '1.0.0', {dependencies: {a: '*'}})], [['a', '*']]))).toEqual([])
    // Exactly what is required: optional dependencies and conflicts add nothing.
    const soft = [candidate('a', '1.0.0', {optional: {b: '^2'}, conflicts: {c: '*'}}), candidate('b', '1.0.0'), candidate('c', '1.0.0')]
    expect(all(input(soft, [['a', '*']]))).toEqual([{a: '1.0.0'}])
    expect(
      all(
        input(soft, [
          ['a', '*'],
          ['b', '*'],
        ]),
      ),
    ).toEqual([])
    expect(
      all(
        input(soft, [
          ['a', '*'],
          ['c', '*'],
        ]),
      ),
    ).toEqual([])
    // Pre-releases only for ranges that name one; the core version; unknown names.
    const pre = [
      candidate('x', '1.1.0-rc.1'),
      candidate('x', '1.0.0', {minProvisioningVersion: '2.0.0'}),
      candidate('y', '1.0.0', {dependencies: {ghost: '*'}}),
    ]
    expect(all(input(pre, [['x', '*']]))).toEqual([])
    expect(all(input(pre, [['x', '>=1.1.0-rc.0']]))).toEqual([{x: '1.1.0-rc.1'}])
    expect(all(input(pre, [['y', '*']]))).toEqual([])
    // Two roots on one name: both ranges hold.
    expect(
      all(
        input(
          [candidate('x', '1.0.0'), candidate('x', '2.0.0')],
          [
            ['x', '*'],
            ['x', '<2'],
          ],
        ),
      ),
    ).toEqual([{x: '1.0.0'}])
    expect(dominates(new Map(cyclic.slice(0, 2).map((v) => [v.name, v])), new Map([['a', cyclic[2]]]))).toBe(true)
  })

  const only = process.env.RESOLVER_DIFF_FIXTURE ?? process.env.RESOLVER_DIFF_SEED
  if (only) {
    it('replays one case', () => {
      runAll([process.env.RESOLVER_DIFF_FIXTURE ? caseOf(process.env.RESOLVER_DIFF_FIXTURE) : generate(Number(process.env.RESOLVER_DIFF_SEED))])
    })
    return
  }

  for (let batch = 0; batch < BATCHES; batch++) {
    const from = FIRST_SEED + batch * PER_BATCH
    it(`agrees on registries seeded ${from}..${from + PER_BATCH - 1}`, () => {
      runAll(Array.from({length: PER_BATCH}, (_, i) => generate(from + i)))
    })
  }
})
