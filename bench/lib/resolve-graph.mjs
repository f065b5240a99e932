// Synthetic, deterministic dependency graphs for the resolver benchmark (bench/README.md,
// "Resolver"). Used in process by resolve-alone.mjs (the resolver alone, 1,000 and 10,000
// extensions) and, small, by resolve.mjs for the `dep resolve` workspace (100 extensions).
//
// How a graph is made satisfiable: every extension gets a hidden "witness" version (the
// newest one about half the time, else an older one), and every range a witness version
// writes (hard and optional dependencies, conflicts) and every root range holds for the
// witnesses, so choosing the witness everywhere is a solution (checked before timing).
// The other versions' ranges hold for the witnesses too with probability `aimAtWitness`
// (`optionalAim`, `conflictAim`), else they aim at a random version: such a range can make
// the resolver's first choice (the highest version) a dead end found only later, which it
// has to undo (the "stress" family). `traps` adds, on about that fraction of extensions, a
// newest version that cannot work, which the resolver only discovers when it decides that
// version's private dependency: exactly one backtrack each, so the cost of backtracking is
// measured in isolation (see generateGraph).
import semver from 'semver'

/** mulberry32: a tiny, fast, deterministic PRNG; returns floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const DEFAULTS = {
  size: 1000,
  seed: 1,
  /** Inclusive bounds. */
  versions: [4, 6],
  deps: [5, 10],
  roots: [20, 50],
  /** Roots are drawn from the highest-numbered `rootPool` fraction of names (deep graphs). */
  rootPool: 0.1,
  /** Probability that the witness is the newest version. */
  witnessNewest: 0.5,
  /** Probability that a non-witness version's dependency range still contains the witness. */
  aimAtWitness: 1,
  optionalRate: 0.3,
  /** Probability that a non-witness version's optional range still contains the witness. */
  optionalAim: 1,
  conflictRate: 0.03,
  /** Probability that a non-witness version's conflict range still excludes the witness. */
  conflictAim: 1,
  /** Chance per extension of an extra newest version that always dead-ends (see above). */
  traps: 0,
  /** Names with no dependencies at all (the bottom of the graph). */
  leaves: 10,
  /** Fixed extra edge i -> i - `stride` on every version (0: none); keeps a small graph connected. */
  stride: 0,
  /** Names: prefix + zero-padded index (`x00042`); `pad: 0` = no padding (`d42`). */
  prefix: 'x',
  pad: 5,
  /** Index of the first name (1 gives d1..d100). */
  first: 0,
}

// Memoized semver (pure functions of their strings, so the graphs are unchanged): generating
// 10,000 extensions spent most of its 6–13 s parsing the same versions and ranges again.
const semvers = new Map()
const ranges = new Map()
const semverOf = (v) => {
  let s = semvers.get(v)
  if (!s) semvers.set(v, (s = new semver.SemVer(v)))
  return s
}
/** semver.satisfies for the valid ranges and versions of these graphs. */
const satisfies = (version, range) => {
  let r = ranges.get(range)
  if (!r) ranges.set(range, (r = new semver.Range(range)))
  return r.test(semverOf(version))
}
const gt = (a, b) => semverOf(a).compare(semverOf(b)) > 0
const parse = (v) => {
  const s = semverOf(v)
  return {major: s.major, minor: s.minor, patch: s.patch, text: v}
}

/** `count` ascending versions, majors starting at 1: patch, minor and major bumps mixed. */
function versionList(rng, count) {
  let [M, m, p] = [1, Math.floor(rng() * 3), 0]
  const out = [`${M}.${m}.${p}`]
  while (out.length < count) {
    const r = rng()
    if (r < 0.3) [M, m, p] = [M + 1, 0, 0]
    else if (r < 0.7) [m, p] = [m + 1, 0]
    else p += 1 + Math.floor(rng() * 3)
    out.push(`${M}.${m}.${p}`)
  }
  return out
}

/**
 * A range that contains `target` (one of `versions`, ascending), in one of the forms people
 * write: ^x.y.z, >=x.y, ~x.y.z, x.x, <=/< windows that force an older version, exact pins,
 * unions and, rarely, *. `open` keeps to the forms that also admit a newer patch of the
 * target (^x.y.z, >=x.y, ~x.y.z of the target's minor, x.x).
 */
function rangeContaining(rng, versions, target, open = false) {
  const t = parse(target)
  const idx = versions.indexOf(target)
  const below = versions.slice(0, idx + 1).map(parse)
  const pick = (xs) => xs[Math.floor(rng() * xs.length)]
  const r = open ? rng() * 0.72 : rng()
  let range
  if (r < 0.25) range = `^${pick(below.filter((u) => u.major === t.major)).text}`
  else if (r < 0.45) {
    const u = pick(below)
    range = `>=${u.major}.${u.minor}`
  } else if (r < 0.6) range = `~${pick(below.filter((u) => u.major === t.major && u.minor === t.minor)).text}`
  else if (r < 0.72) range = `${t.major}.x`
  else if (r < 0.87) {
    // Forces an older version whenever the target is not the newest.
    range = idx < versions.length - 1 ? (rng() < 0.5 ? `>=${versions[0]} <${versions[idx + 1]}` : `<=${target}`) : `>=${target}`
  } else if (r < 0.94) range = rng() < 0.5 ? target : `=${target}`
  else if (r < 0.98) range = `${t.major}.x || >=${parse(versions[versions.length - 1]).major + 1}`
  else range = '*'
  if (!satisfies(target, range)) throw new Error(`resolve-graph: ${range} does not contain ${target}`)
  return range
}

/** A range that excludes `target` (for conflicts of witness versions); undefined if none is simple. */
function rangeExcluding(rng, versions, target) {
  const idx = versions.indexOf(target)
  const options = []
  if (idx < versions.length - 1) options.push(`>${target}`)
  if (idx > 0) options.push(`<${target}`)
  if (options.length === 0) return undefined
  const range = options[Math.floor(rng() * options.length)]
  if (satisfies(target, range)) throw new Error(`resolve-graph: ${range} contains ${target}`)
  return range
}

/**
 * Generates a graph. Returns {names, byName: Map<name, CandidateVersion[]>, roots, witness,
 * traps: Map<trap name, private dependency>, reachable, stats}. Dependencies only point to
 * lower-numbered names, so there is no cycle.
 */
export function generateGraph(options = {}) {
  const o = {...DEFAULTS, ...options}
  const rng = prng(o.seed)
  const int = ([lo, hi]) => lo + Math.floor(rng() * (hi - lo + 1))
  const pick = (xs) => xs[Math.floor(rng() * xs.length)]
  const name = (i) => `${o.prefix}${o.pad ? String(i + o.first).padStart(o.pad, '0') : i + o.first}`
  const names = Array.from({length: o.size}, (_, i) => name(i))
  const versions = names.map(() => versionList(rng, int(o.versions)))
  const witness = versions.map((vs) => (rng() < o.witnessNewest ? vs[vs.length - 1] : vs[Math.floor(rng() * (vs.length - 1))]))

  // Traps: extension i gets one more, newest version that requires its private dependency
  // p = i - 1 above p's witness; p's versions above its witness need a newer core. So the
  // resolver picks i's newest version first, only finds out when it decides p (later: i
  // requires p), and must undo i. p is required by i alone, so the blame is exactly i.
  const trapOf = new Map() // i -> p
  const isPrivate = new Set()
  for (let i = o.leaves + 1; i < o.size; i++) {
    const p = i - 1
    if (rng() >= o.traps || trapOf.has(p) || isPrivate.has(p) || witness[p] === versions[p][versions[p].length - 1]) continue
    trapOf.set(i, p)
    isPrivate.add(p)
    // The trap version is the newest + 1 patch, and requirers of i use ranges that admit it,
    // so that nothing but p rules it out.
    witness[i] = versions[i][versions[i].length - 1]
  }

  const byName = new Map()
  let edgeCount = 0
  for (let i = 0; i < o.size; i++) {
    const own = [...versions[i]]
    const trapDep = trapOf.get(i)
    if (trapDep !== undefined) own.push(semver.inc(own[own.length - 1], 'patch'))
    const list = []
    for (const v of own) {
      const isWitness = v === witness[i]
      const dependencies = {}
      const optional = {}
      const conflicts = {}
      const related = new Set()
      if (i >= o.leaves && !isPrivate.has(i)) {
        const count = Math.min(i - isPrivate.size, int(o.deps))
        const chosen = new Set()
        if (o.stride > 0 && i - o.stride >= 0 && !isPrivate.has(i - o.stride)) chosen.add(i - o.stride)
        for (let guard = 0; chosen.size < count && guard < 100 * count; guard++) {
          const j = Math.floor(rng() * i)
          if (!isPrivate.has(j)) chosen.add(j)
        }
        for (const j of [...chosen].sort((a, b) => a - b)) {
          const aim = isWitness || rng() < o.aimAtWitness ? witness[j] : pick(versions[j])
          dependencies[names[j]] = rangeContaining(rng, versions[j], aim, trapOf.has(j))
          related.add(j)
          edgeCount++
        }
        if (rng() < o.optionalRate) {
          for (let k = int([1, 2]); k > 0; k--) {
            const j = Math.floor(rng() * i)
            if (related.has(j) || isPrivate.has(j)) continue
            const aim = isWitness || rng() < o.optionalAim ? witness[j] : pick(versions[j])
            optional[names[j]] = rangeContaining(rng, versions[j], aim, trapOf.has(j))
            related.add(j)
          }
        }
        if (rng() < o.conflictRate) {
          const j = Math.floor(rng() * i)
          if (!related.has(j) && !isPrivate.has(j)) {
            const range = isWitness || rng() < o.conflictAim ? rangeExcluding(rng, versions[j], witness[j]) : `${parse(pick(versions[j])).major}.x`
            if (range) conflicts[names[j]] = range
          }
        }
      }
      if (trapDep !== undefined) {
        const p = trapDep
        dependencies[names[p]] = v === own[own.length - 1] ? `>${witness[p]}` : rangeContaining(rng, versions[p], witness[p])
        edgeCount++
      }
      // Versions above a private dependency's witness need a newer core (9.0.0 > 1.0.0);
      // elsewhere, a few non-witness versions do too (rejected at once, no backtracking).
      const needsNewCore = isPrivate.has(i) ? gt(v, witness[i]) : !isWitness && rng() < 0.02
      list.push({
        name: names[i],
        version: v,
        tag: v,
        type: 'taskserv',
        dependencies,
        optional,
        conflicts,
        minProvisioningVersion: needsNewCore ? '9.0.0' : '0.1.0',
      })
    }
    byName.set(names[i], list)
  }

  const rootCount = Math.min(o.size, int(o.roots))
  const pool = Math.max(rootCount, Math.ceil(o.size * o.rootPool))
  const rootIdx = new Set()
  for (let guard = 0; rootIdx.size < rootCount && guard < 1000 * rootCount; guard++) {
    const i = o.size - 1 - Math.floor(rng() * pool)
    if (i >= 0 && !isPrivate.has(i)) rootIdx.add(i)
  }
  const roots = [...rootIdx]
    .sort((a, b) => a - b)
    .map((i, k) => {
      const r = rng()
      const range = r < 0.2 ? '*' : r < 0.4 && !trapOf.has(i) ? witness[i] : rangeContaining(rng, versions[i], witness[i], trapOf.has(i))
      return {name: names[i], range, source: `dependencies.extensions.modules.taskservs[${k}]`}
    })

  // What the resolver's decision order walks: names reachable through any version's hard deps.
  const reachable = new Set(roots.map((r) => r.name))
  const stack = [...reachable]
  while (stack.length > 0) {
    for (const c of byName.get(stack.pop())) {
      for (const dep of Object.keys(c.dependencies)) {
        if (!reachable.has(dep)) {
          reachable.add(dep)
          stack.push(dep)
        }
      }
    }
  }
  let versionCount = 0
  for (const list of byName.values()) versionCount += list.length
  return {
    names,
    byName,
    roots,
    witness: new Map(names.map((n, i) => [n, witness[i]])),
    traps: new Map([...trapOf].map(([i, p]) => [names[i], names[p]])),
    reachable,
    stats: {extensions: o.size, versions: versionCount, dependencyEdges: edgeCount, roots: roots.length, traps: trapOf.size, reachable: reachable.size},
  }
}

/** The catalog the resolver reads: {versions(name)}. */
export function catalogOf(graph) {
  return {versions: (name) => graph.byName.get(name)}
}

/**
 * Checks a resolution against the graph: roots satisfied, every selected version's hard
 * dependencies selected and in range, optional ranges hold when present, no conflict
 * present. Returns a list of problems (empty when valid).
 */
export function checkResolution(graph, resolution, coreVersion) {
  const problems = []
  const sel = resolution.selected
  for (const root of graph.roots) {
    const c = sel.get(root.name)
    if (!c || !satisfies(c.version, root.range)) problems.push(`root ${root.name} ${root.range}: got ${c?.version}`)
  }
  for (const [name, c] of sel) {
    for (const [dep, range] of Object.entries(c.dependencies)) {
      const d = sel.get(dep)
      if (!d || !satisfies(d.version, range)) problems.push(`${name}@${c.version} needs ${dep} ${range}: got ${d?.version}`)
    }
    for (const [dep, range] of Object.entries(c.optional)) {
      const d = sel.get(dep)
      if (d && !satisfies(d.version, range)) problems.push(`${name}@${c.version} optional ${dep} ${range}: got ${d.version}`)
    }
    for (const [other, range] of Object.entries(c.conflicts)) {
      const d = sel.get(other)
      if (d && satisfies(d.version, range)) problems.push(`${name}@${c.version} conflicts with ${other} ${range}: got ${d.version}`)
    }
    if (c.minProvisioningVersion && gt(c.minProvisioningVersion, coreVersion)) problems.push(`${name}@${c.version} needs core ${c.minProvisioningVersion}`)
    if (problems.length > 20) break
  }
  return problems
}

/** The witness assignment checked the same way (proves the graph satisfiable). */
export function witnessResolution(graph) {
  const selected = new Map()
  const stack = graph.roots.map((r) => r.name)
  while (stack.length > 0) {
    const n = stack.pop()
    if (selected.has(n)) continue
    const c = graph.byName.get(n).find((v) => v.version === graph.witness.get(n))
    selected.set(n, c)
    stack.push(...Object.keys(c.dependencies))
  }
  return {selected}
}

/**
 * A generated graph as JSON (generating 10,000 extensions takes 6–13 s on this machine,
 * reading them back ~1 s), so that the new and the old resolver's processes of one seed
 * read the same graph without generating it twice.
 */
export function graphToJson(graph) {
  return JSON.stringify({
    names: graph.names,
    byName: [...graph.byName],
    roots: graph.roots,
    witness: [...graph.witness],
    traps: [...graph.traps],
    reachable: [...graph.reachable],
    stats: graph.stats,
  })
}

export function graphFromJson(text) {
  const g = JSON.parse(text)
  return {...g, byName: new Map(g.byName), witness: new Map(g.witness), traps: new Map(g.traps), reachable: new Set(g.reachable)}
}
