/**
 * The shapes of issue 11: inputs a backtracking search with a step cap gets wrong or slow,
 * and a conflict-driven solver should get right at once. Time bounds are generous (a busy
 * two-core machine); bench/ measures the real goals. Resolution is synchronous, so a test
 * timeout cannot stop a runaway search: every input here carries a 30 s budget (`limits`), far
 * above any bound, so that a hang fails as E_RESOLUTION_LIMIT instead of taking minutes.
 * The unbounded pigeonhole run is slow by nature and runs only with PROVISIONING_SLOW_TESTS=1.
 */
import {performance} from 'node:perf_hooks'

import {describe, expect, it} from 'vitest'

import {resolve} from '../../../src/lib/deps/resolver.js'
import type {CandidateVersion, ResolveInput, RootRequirement} from '../../../src/lib/deps/types.js'
import {ProvisioningError, ResolutionError, ResolutionLimitError} from '../../../src/lib/errors.js'
import {prng} from '../../helpers/deps.js'
import {solutionProblems, versionsOf} from './brute-force.js'
import {catalogOf} from './catalog-of.js'
import {candidate} from './example-catalog.js'

const CORE = '1.0.0'
const root = (name: string, range = '*'): RootRequirement => ({name, range, source: `modules: ${name}`})
const GUARD = {milliseconds: 30_000}
const inputOf = (all: CandidateVersion[], roots: RootRequirement[]): ResolveInput => ({catalog: catalogOf(all), roots, coreVersion: CORE, limits: GUARD})

/** Resolves and times it; the selection as {name: version}. */
function solve(input: ResolveInput): {selected: Record<string, string>; ms: number; order: string[]} {
  const started = performance.now()
  const result = resolve(input)
  const ms = performance.now() - started
  expect(solutionProblems(result.selected, input)).toEqual([])
  return {selected: versionsOf(result.selected), ms, order: result.order}
}

/** The error a resolution fails with, and how long it took to fail. */
function failure(input: ResolveInput): {error: ProvisioningError; ms: number} {
  const started = performance.now()
  try {
    const result = resolve(input)
    throw new Error(`expected resolution to fail, got ${JSON.stringify(versionsOf(result.selected))}`)
  } catch (error) {
    if (!(error instanceof ProvisioningError)) throw error
    return {error, ms: performance.now() - started}
  }
}

/** An unsatisfiable input's error: E_RESOLUTION (exit 5), never the limit error. */
function unsatisfiable(input: ResolveInput): {error: ResolutionError; ms: number} {
  const {error, ms} = failure(input)
  expect(error).toBeInstanceOf(ResolutionError)
  expect(error.code).toBe('E_RESOLUTION')
  expect(error.exit).toBe(5)
  expect(error.message.trim()).not.toBe('')
  return {error: error as ResolutionError, ms}
}

/**
 * level0 -> level1 -> … -> level{levels-1} -> level{levels}, which does not exist: every
 * version 1.0.1…1.0.{versions} of a level requires the next level, so all of them are dead
 * ends, and only level0@1.0.0 (no dependencies) works.
 */
function chain(levels: number, versions: number): CandidateVersion[] {
  const all = [candidate('level0', '1.0.0')]
  for (let level = 0; level < levels; level++) {
    for (let v = 1; v <= versions; v++) all.push(candidate(`level${level}`, `1.0.${v}`, {dependencies: {[`level${level + 1}`]: '*'}}))
  }
  return all
}

describe('a chain where only the lowest version works', () => {
  it('14 levels of 3 versions: level0@1.0.0 alone', () => {
    const {selected, ms} = solve(inputOf(chain(14, 3), [root('level0')]))
    expect(selected).toEqual({level0: '1.0.0'})
    expect(ms).toBeLessThan(2000)
  })

  it('300 levels of 100 versions: level0@1.0.0 alone', () => {
    const {selected, ms} = solve(inputOf(chain(300, 100), [root('level0')]))
    expect(selected).toEqual({level0: '1.0.0'})
    expect(ms).toBeLessThan(5000)
  })

  it('without 1.0.0 it is unsatisfiable, and says which extension is missing in a few lines', () => {
    const {error, ms} = unsatisfiable(inputOf(chain(14, 3), [root('level0', '>=1.0.1')]))
    expect(error.message).toContain('no extension named "level14"')
    expect(error.message).not.toMatch(/too many combinations|gave up/)
    // Not one near-identical line per combination tried.
    expect(error.message.split('\n').length).toBeLessThan(60)
    expect(ms).toBeLessThan(2000)
  })

  it('without 1.0.0, 300 levels of 100 versions fail fast too', () => {
    const {error, ms} = unsatisfiable(inputOf(chain(300, 100), [root('level0', '>=1.0.1')]))
    expect(error.message).toContain('no extension named "level300"')
    expect(error.message).not.toMatch(/too many combinations|gave up/)
    expect(ms).toBeLessThan(5000)
  })
})

describe('cycles', () => {
  it('avoids a cycle by choosing an older version', () => {
    const all = [candidate('a', '1.1.0', {dependencies: {b: '*'}}), candidate('b', '1.0.0', {dependencies: {a: '*'}}), candidate('a', '1.0.0')]
    expect(solve(inputOf(all, [root('a')])).selected).toEqual({a: '1.0.0'})
  })

  it('avoids a cycle by choosing an older version of the dependency', () => {
    const all = [candidate('a', '1.0.0', {dependencies: {b: '*'}}), candidate('b', '2.0.0', {dependencies: {a: '*'}}), candidate('b', '1.0.0')]
    expect(solve(inputOf(all, [root('a')])).selected).toEqual({a: '1.0.0', b: '1.0.0'})
  })

  it('avoids a three-name cycle at its far end, keeping the newest versions elsewhere', () => {
    const all = [
      candidate('a', '2.0.0', {dependencies: {b: '*'}}),
      candidate('a', '1.0.0'),
      candidate('b', '2.0.0', {dependencies: {c: '*'}}),
      candidate('c', '2.0.0', {dependencies: {a: '*'}}),
      candidate('c', '1.0.0'),
    ]
    const {selected, order} = solve(inputOf(all, [root('a')]))
    expect(selected).toEqual({a: '2.0.0', b: '2.0.0', c: '1.0.0'})
    expect(order).toEqual(['c', 'b', 'a'])
  })

  it('reports a cycle every choice makes, with its whole path', () => {
    const all = [candidate('a', '1.0.0', {dependencies: {b: '*'}}), candidate('b', '1.0.0', {dependencies: {a: '*'}})]
    const {error} = unsatisfiable(inputOf(all, [root('a')]))
    expect(error.details.cycle).toEqual(['a', 'b', 'a'])
    expect(error.message).toContain('a -> b -> a')
  })

  it('reports a cycle the workspace pins itself into', () => {
    const all = [candidate('a', '1.1.0', {dependencies: {b: '*'}}), candidate('b', '1.0.0', {dependencies: {a: '*'}}), candidate('a', '1.0.0')]
    const {error} = unsatisfiable(inputOf(all, [root('a', '1.1.0')]))
    expect(error.details.cycle).toEqual(['a', 'b', 'a'])
    expect(error.message).toContain('a -> b -> a')
  })
})

/** Adapted from dart-lang/pub test/version_solver_test.dart, group "backtracking" (any = *). */
describe("pub's backtracking cases", () => {
  it('complex backtrack: foo and bar need the only baz, 0.0.0 (10x10, 20x20, 30x30)', () => {
    // foo i.j.0 depends on baz i.0.0 (same major), bar i.j.0 on baz 0.j.0 (same minor); only
    // baz 0.0.0 exists, so foo has to come down to major 0 and bar to minor 0.
    for (const n of [10, 20, 30]) {
      const all = [candidate('baz', '0.0.0')]
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          all.push(candidate('foo', `${i}.${j}.0`, {dependencies: {baz: `${i}.0.0`}}), candidate('bar', `${i}.${j}.0`, {dependencies: {baz: `0.${j}.0`}}))
        }
      }
      const {selected, ms} = solve(inputOf(all, [root('foo'), root('bar')]))
      expect(selected).toEqual({bar: `${n - 1}.0.0`, baz: '0.0.0', foo: `0.${n - 1}.0`})
      expect(ms).toBeLessThan(n === 30 ? 5000 : 2000)
    }
  })

  it('circular dependency on older version', () => {
    const all = [candidate('a', '1.0.0'), candidate('a', '2.0.0', {dependencies: {b: '1.0.0'}}), candidate('b', '1.0.0', {dependencies: {a: '1.0.0'}})]
    expect(solve(inputOf(all, [root('a', '>=1.0.0')])).selected).toEqual({a: '1.0.0'})
  })

  it('diamond dependency graph', () => {
    const all = [
      candidate('a', '2.0.0', {dependencies: {c: '^1.0.0'}}),
      candidate('a', '1.0.0'),
      candidate('b', '2.0.0', {dependencies: {c: '^3.0.0'}}),
      candidate('b', '1.0.0', {dependencies: {c: '^2.0.0'}}),
      candidate('c', '3.0.0'),
      candidate('c', '2.0.0'),
      candidate('c', '1.0.0'),
    ]
    expect(solve(inputOf(all, [root('a'), root('b')])).selected).toEqual({a: '1.0.0', b: '2.0.0', c: '3.0.0'})
  })

  it('backjumps after a partial satisfier', () => {
    const all = [
      candidate('a', '1.0.0', {dependencies: {x: '>=1.0.0'}}),
      candidate('b', '1.0.0', {dependencies: {x: '<2.0.0'}}),
      candidate('c', '1.0.0'),
      candidate('c', '2.0.0', {dependencies: {a: '*', b: '*'}}),
      candidate('x', '0.0.0'),
      candidate('x', '1.0.0', {dependencies: {y: '1.0.0'}}),
      candidate('x', '2.0.0'),
      candidate('y', '1.0.0'),
      candidate('y', '2.0.0'),
    ]
    expect(solve(inputOf(all, [root('c'), root('y', '^2.0.0')])).selected).toEqual({c: '1.0.0', y: '2.0.0'})
  })

  it('simple transitive', () => {
    const all = [
      candidate('foo', '1.0.0', {dependencies: {bar: '1.0.0'}}),
      candidate('foo', '2.0.0', {dependencies: {bar: '2.0.0'}}),
      candidate('foo', '3.0.0', {dependencies: {bar: '3.0.0'}}),
      candidate('bar', '1.0.0', {dependencies: {baz: '*'}}),
      candidate('bar', '2.0.0', {dependencies: {baz: '2.0.0'}}),
      candidate('bar', '3.0.0', {dependencies: {baz: '3.0.0'}}),
      candidate('baz', '1.0.0'),
    ]
    expect(solve(inputOf(all, [root('foo')])).selected).toEqual({bar: '1.0.0', baz: '1.0.0', foo: '1.0.0'})
  })

  it('backjump to nearer unsatisfied package', () => {
    const all = [
      candidate('a', '1.0.0', {dependencies: {c: '1.0.0'}}),
      candidate('a', '2.0.0', {dependencies: {c: '2.0.0-nonexistent'}}),
      candidate('b', '1.0.0'),
      candidate('b', '2.0.0'),
      candidate('b', '3.0.0'),
      candidate('c', '1.0.0'),
    ]
    expect(solve(inputOf(all, [root('a'), root('b')])).selected).toEqual({a: '1.0.0', b: '3.0.0', c: '1.0.0'})
  })

  it('successful backjump to conflicting source (as a version conflict)', () => {
    const all = [
      candidate('a', '1.0.0'),
      candidate('a', '2.0.0'),
      candidate('b', '1.0.0', {dependencies: {a: '*'}}),
      candidate('b', '2.0.0', {dependencies: {a: '^2.0.0'}}),
      ...['1.0.0', '2.0.0', '3.0.0', '4.0.0', '5.0.0'].map((v) => candidate('c', v)),
    ]
    expect(solve(inputOf(all, [root('a', '1.0.0'), root('b'), root('c')])).selected).toEqual({a: '1.0.0', b: '1.0.0', c: '5.0.0'})
  })

  it('backjump past failed package on disjoint constraint', () => {
    const all = [
      candidate('a', '1.0.0', {dependencies: {foo: '*'}}),
      candidate('a', '2.0.0', {dependencies: {foo: '<1.0.0'}}),
      ...['2.0.0', '2.0.1', '2.0.2', '2.0.3', '2.0.4'].map((v) => candidate('foo', v)),
    ]
    expect(solve(inputOf(all, [root('a'), root('foo', '>2.0.0')])).selected).toEqual({a: '1.0.0', foo: '2.0.4'})
  })
})

/**
 * n + 1 pigeons p0…pn, each with versions 1.0.0…n.0.0 (its hole); p_i at hole h conflicts
 * with every other pigeon at hole h. All pigeons required: unsatisfiable, and every proof of
 * it by resolution is exponential in n.
 */
function pigeonhole(holes: number, pigeons = holes + 1): ResolveInput {
  const all: CandidateVersion[] = []
  for (let i = 0; i < pigeons; i++) {
    for (let h = 1; h <= holes; h++) {
      const conflicts = Object.fromEntries(
        Array.from({length: pigeons}, (_, j) => j)
          .filter((j) => j !== i)
          .map((j) => [`p${j}`, `${h}.0.0`]),
      )
      all.push(candidate(`p${i}`, `${h}.0.0`, {conflicts}))
    }
  }
  return inputOf(
    all,
    Array.from({length: pigeons}, (_, i) => root(`p${i}`)),
  )
}

describe('pigeonhole', () => {
  it('as many holes as pigeons: one pigeon per hole', () => {
    const {selected} = solve(pigeonhole(8, 8))
    expect(new Set(Object.values(selected)).size).toBe(8)
  })

  it('4 pigeons, 3 holes: unsatisfiable, and said so', () => {
    const {ms} = unsatisfiable(pigeonhole(3))
    expect(ms).toBeLessThan(2000)
  })

  it('9 pigeons, 8 holes, 50 conflicts allowed: cut short, not called unsatisfiable', () => {
    const {error, ms} = failure({...pigeonhole(8), limits: {conflicts: 50}})
    expect(error).toBeInstanceOf(ResolutionLimitError)
    expect(error.code).toBe('E_RESOLUTION_LIMIT')
    expect(error.exit).toBe(5)
    expect(error.message).toMatch(/cut short|limit|budget|gave up|stopped/i)
    expect(error.message).not.toMatch(/unsatisfiable|no version of \S+ satisfies/i)
    expect(ms).toBeLessThan(5000)
  })

  it('9 pigeons, 8 holes, 300 ms allowed: cut short in time', () => {
    const {error, ms} = failure({...pigeonhole(8), limits: {milliseconds: 300}})
    expect(error).toBeInstanceOf(ResolutionLimitError)
    expect(error.code).toBe('E_RESOLUTION_LIMIT')
    expect(ms).toBeLessThan(3000)
  })

  // Skipped unless PROVISIONING_SLOW_TESTS=1: without limits the solver must refute every
  // placement of 9 pigeons in 8 holes, which takes a minute or more on two shared cores; the two
  // tests above run the same shape under the default limits in every suite.
  it.runIf(process.env.PROVISIONING_SLOW_TESTS === '1')(
    '9 pigeons, 8 holes, no limits: unsatisfiable (slow)',
    () => {
      const {ms} = unsatisfiable({...pigeonhole(8), limits: undefined})
      console.log(`pigeonhole n=8 without limits: ${Math.round(ms)} ms`)
    },
    120_000,
  )
})

describe('backjumping and size', () => {
  it('backjumps over unrelated choices to the one that caused a dead end found through a chain', () => {
    // 30 independent names of 5 versions each are decided before the dead end (zz@2 conflicts
    // with n00, reached through link@2) that only app can fix: chronological backtracking
    // would try 5^30 combinations.
    const all: CandidateVersion[] = []
    const deps: Record<string, string> = {}
    for (let i = 0; i < 30; i++) {
      const name = `n${String(i).padStart(2, '0')}`
      deps[name] = '*'
      for (let v = 1; v <= 5; v++) all.push(candidate(name, `${v}.0.0`))
    }
    all.push(
      candidate('app', '2.0.0', {dependencies: {...deps, link: '2.x'}}),
      candidate('app', '1.0.0', {dependencies: {...deps, link: '1.x'}}),
      candidate('link', '2.0.0', {dependencies: {zz: '>=2'}}),
      candidate('link', '1.0.0', {dependencies: {zz: '1.x'}}),
      candidate('zz', '1.0.0'),
      candidate('zz', '2.0.0', {conflicts: {n00: '*'}}),
    )
    const {selected, ms} = solve(inputOf(all, [root('app')]))
    expect(selected).toMatchObject({app: '1.0.0', link: '1.0.0', zz: '1.0.0', n00: '5.0.0', n29: '5.0.0'})
    expect(ms).toBeLessThan(2000)
  })

  it('a chain of 8,000 names resolves and orders without overflowing the stack (a registry may serve 10,000 names; 6,000 overflowed)', () => {
    const all = Array.from({length: 8000}, (_, i) => candidate(`n${i}`, '1.0.0', {dependencies: i + 1 < 8000 ? {[`n${i + 1}`]: '*'} : {}}))
    const {selected, order} = solve(inputOf(all, [root('n0')]))
    expect(Object.keys(selected)).toHaveLength(8000)
    expect(order[0]).toBe('n7999')
    expect(order.at(-1)).toBe('n0')
  })

  it('two tags of one version (1.1.0 and v1.1.0) are one choice, the plain tag', () => {
    const all = [
      {...candidate('a', '1.1.0', {dependencies: {b: '2.0.0'}}), tag: '1.1.0'},
      {...candidate('a', '1.1.0', {dependencies: {b: '>=1.0.0'}}), tag: 'v1.1.0'},
      candidate('b', '2.0.0'),
      candidate('b', '3.0.0'),
    ]
    const result = resolve({catalog: catalogOf(all), roots: [root('a')], coreVersion: CORE})
    expect(result.selected.get('a')?.tag).toBe('1.1.0')
    expect(result.selected.get('b')?.version).toBe('2.0.0')
  })

  it('one name with 5,000 versions, where only the lowest has a dependency that exists', () => {
    // x@1.0.k requires y 1.0.k, and y@1.0.k requires a missing extension, except for k = 0.
    const all: CandidateVersion[] = []
    for (let k = 0; k < 5000; k++) {
      all.push(candidate('x', `1.0.${k}`, {dependencies: {y: `1.0.${k}`}}), candidate('y', `1.0.${k}`, {dependencies: k === 0 ? {} : {ghost: '*'}}))
    }
    const {selected, ms} = solve(inputOf(all, [root('x')]))
    expect(selected).toEqual({x: '1.0.0', y: '1.0.0'})
    expect(ms).toBeLessThan(5000)
  })

  it('10,000 extensions with backtracking here and there: a valid selection, quickly', () => {
    const {all, roots} = bigGraph(10_000, 7)
    const {selected, ms} = solve(inputOf(all, roots))
    expect(Object.keys(selected).length).toBeGreaterThan(1000)
    // 1.0–1.3 s with the backtracking resolver at load 9 on two cores, 4.2 s once; the goal is bench's.
    expect(ms).toBeLessThan(10_000)
  })
})

/**
 * A solvable graph of `size` extensions with five versions each. Every name has a hidden
 * witness version; every range contains the witness of its target, and conflicts only
 * exclude versions above it, so the witnesses are a solution. Ranges like `<=witness` and
 * those conflicts make the newest versions dead ends found later (backtracking). Hard
 * dependencies point to lower-numbered names: no cycle.
 */
function bigGraph(size: number, seed: number): {all: CandidateVersion[]; roots: RootRequirement[]} {
  const random = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]
  const versions = ['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0']
  const name = (i: number) => `x${String(i).padStart(5, '0')}`
  const witness = Array.from({length: size}, () => pick(versions))
  const containing = (w: string) => pick([`^${w.split('.')[0]}`, '>=1.0.0', `<=${w}`, w, '*', `${w.split('.')[0]}.x`])
  const all: CandidateVersion[] = []
  for (let i = 0; i < size; i++) {
    for (const version of versions) {
      const dependencies: Record<string, string> = {}
      const conflicts: Record<string, string> = {}
      if (i >= 10) {
        for (let k = 3 + Math.floor(random() * 3); k > 0; k--) {
          const j = Math.floor(random() * i)
          dependencies[name(j)] = containing(witness[j])
        }
        const j = Math.floor(random() * i)
        if (random() < 0.03 && !dependencies[name(j)] && witness[j] !== '2.1.0') conflicts[name(j)] = `>${witness[j]}`
      }
      const tooNew = version !== witness[i] && random() < 0.05
      all.push(candidate(name(i), version, {dependencies, conflicts, ...(tooNew ? {minProvisioningVersion: '9.0.0'} : {})}))
    }
  }
  const roots: RootRequirement[] = []
  for (let k = 0; k < 30; k++) {
    const i = size - 1 - Math.floor(random() * (size / 10))
    if (!roots.some((r) => r.name === name(i))) roots.push(root(name(i), containing(witness[i])))
  }
  return {all, roots}
}
