// Adversarial graph shapes of the resolver benchmark (bench/README.md, "Resolver", issue 11):
// small catalogs that are hard for a backtracking resolver and easy for a conflict-driven
// (PubGrub-style) one. Each shape says what a correct answer is, so a run is checked, and an
// answer that is fast but wrong (or a "no solution" for a solvable catalog) shows as such.
//
//   chain       levels level0…level{L-1}; level_i has versions 1.0.1…1.0.V, each requiring
//               `level_{i+1}: "*"`; the last level requires a name that does not exist;
//               level0@1.0.0 requires nothing. Root `level0 *`. Only solution: {level0: 1.0.0}.
//               A resolver without learning tries V^L combinations before falling back.
//   backtrack   pub's "complex backtrack", widened: foo i.j.0 (i, j in 0…N-1) requires
//               `baz: i.0.0`, bar i.j.0 requires `baz: 0.j.0`; baz has only 0.0.0. Roots foo,
//               bar. Solvable: foo 0.x.0 and bar x.0.0 (the highest are 0.(N-1).0, (N-1).0.0).
//   pigeonhole  n holes, n + 1 pigeons p0…pn with versions 1.0.0…n.0.0 (the holes); p_i@h.0.0
//               conflicts with every other pigeon at exactly h.0.0. Roots: every pigeon.
//               Unsatisfiable; refuting it takes exponential work for resolution-based search.
import {checkResolution} from './resolve-graph.mjs'

const candidate = (name, version, dependencies = {}, conflicts = {}) => ({
  name,
  version,
  tag: version,
  type: 'taskserv',
  dependencies,
  optional: {},
  conflicts,
  minProvisioningVersion: '0.1.0',
})

const root = (name, k) => ({name, range: '*', source: `dependencies.extensions.modules.taskservs[${k}]`})

function chain({levels, versions}) {
  const byName = new Map()
  for (let i = 0; i < levels; i++) {
    const name = `level${i}`
    const list = []
    if (i === 0) list.push(candidate(name, '1.0.0'))
    for (let v = 1; v <= versions; v++) list.push(candidate(name, `1.0.${v}`, {[`level${i + 1}`]: '*'}))
    byName.set(name, list)
  }
  return {byName, roots: [root('level0', 0)], expect: {satisfiable: true, selected: {level0: '1.0.0'}}}
}

function backtrack({n}) {
  const foo = []
  const bar = []
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      foo.push(candidate('foo', `${i}.${j}.0`, {baz: `${i}.0.0`}))
      bar.push(candidate('bar', `${i}.${j}.0`, {baz: `0.${j}.0`}))
    }
  }
  const byName = new Map([
    ['foo', foo],
    ['bar', bar],
    ['baz', [candidate('baz', '0.0.0')]],
  ])
  return {byName, roots: [root('foo', 0), root('bar', 1)], expect: {satisfiable: true}}
}

function pigeonhole({n}) {
  const byName = new Map()
  const pigeons = Array.from({length: n + 1}, (_, i) => `p${i}`)
  for (const [i, name] of pigeons.entries()) {
    const list = []
    for (let h = 1; h <= n; h++) {
      const conflicts = Object.fromEntries(pigeons.filter((_, j) => j !== i).map((other) => [other, `${h}.0.0`]))
      list.push(candidate(name, `${h}.0.0`, {}, conflicts))
    }
    byName.set(name, list)
  }
  return {byName, roots: pigeons.map(root), expect: {satisfiable: false}}
}

const BUILDERS = {chain, backtrack, pigeonhole}

/** The rows of issue 11 (rows 2–4 of bench/README.md "Issue 11"); `goalMs` null = no time goal. */
export const SHAPES = [
  {id: 'chain-14x3', shape: 'chain', params: {levels: 14, versions: 3}, label: 'lowest-only-solvable chain, L=14, V=3', goalMs: 50},
  {id: 'chain-300x100', shape: 'chain', params: {levels: 300, versions: 100}, label: 'lowest-only-solvable chain, L=300, V=100', goalMs: 1000},
  {id: 'backtrack-20', shape: 'backtrack', params: {n: 20}, label: 'complex backtrack (pub), N=20', goalMs: 1000},
  {id: 'backtrack-30', shape: 'backtrack', params: {n: 30}, label: 'complex backtrack (pub), N=30', goalMs: 1000},
  {id: 'pigeonhole-8', shape: 'pigeonhole', params: {n: 8}, label: 'pigeonhole n=8 (9 pigeons, 8 holes; unsatisfiable)', goalMs: null},
]

/** {byName, roots, expect: {satisfiable, selected?}, stats}: the graph the resolver reads. */
export function buildShape(shape, params) {
  const build = BUILDERS[shape]
  if (!build) throw new Error(`unknown shape "${shape}"`)
  const graph = build(params)
  let versions = 0
  for (const list of graph.byName.values()) versions += list.length
  return {...graph, stats: {names: graph.byName.size, versions, roots: graph.roots.length}}
}

/**
 * What a returned resolution is worth: problems against every constraint (checkResolution)
 * and, where the shape has a single solution, against that solution. Empty when correct.
 */
export function checkShape(graph, resolution, coreVersion) {
  const problems = checkResolution(graph, resolution, coreVersion)
  if (!graph.expect.satisfiable) problems.unshift('returned a resolution for an unsatisfiable catalog')
  for (const [name, version] of Object.entries(graph.expect.selected ?? {})) {
    const got = resolution.selected.get(name)?.version
    if (got !== version) problems.push(`${name}: expected ${version}, got ${got}`)
  }
  return problems
}
