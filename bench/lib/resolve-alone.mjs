// One process of the resolver-alone benchmark (bench/README.md, "Resolver"): generates one
// synthetic graph (untimed), checks it is satisfiable, then times `resolve()` of the built
// resolver (dist/lib/deps/resolver.js) in this process, and prints one JSON line.
// Started by resolve.mjs with `node --expose-gc`, one fresh process per graph and round, so
// that the first call (cold JIT, what `dep resolve` pays) is measured too.
//
// argv[2]: JSON {app, family, size, seed, runs, graph: {generateGraph options}, coreVersion,
//   graphFile?, lite?}. graphFile: the graph is read from there when the file exists, else
//   generated and written there (and read back, so every process times the same kind of
//   objects); the new and the old resolver's processes of one seed share it. lite: only the
//   timed calls (no breakdown or retained heap): the old resolver's side.
// The stress family is one call, whose outcome is classified (ok, unsat, gave-up, limit,
// error) instead of thrown: a resolver that calls the satisfiable graph unsatisfiable is the
// finding, not a crash of the benchmark.
import {existsSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {constants as perf, performance, PerformanceObserver} from 'node:perf_hooks'
import {setImmediate, setTimeout} from 'node:timers'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {median} from './measure.mjs'
import {catalogOf, checkResolution, generateGraph, graphFromJson, graphToJson, witnessResolution} from './resolve-graph.mjs'

const job = JSON.parse(process.argv[2])
const dist = (file) => pathToFileURL(path.join(job.app, 'dist', 'lib', 'deps', file)).href
const now = () => performance.now()
const gc = globalThis.gc ?? (() => {})
const MB = 1024 * 1024

let t = now()
const {resolve} = await import(dist('resolver.js'))
const importMs = now() - t

t = now()
let graph
let generateMs = null
if (job.graphFile && existsSync(job.graphFile)) graph = graphFromJson(readFileSync(job.graphFile, 'utf8'))
else {
  graph = generateGraph({...job.graph, size: job.size, seed: job.seed})
  generateMs = now() - t
  if (job.graphFile) {
    const text = graphToJson(graph)
    writeFileSync(`${job.graphFile}.tmp`, text)
    renameSync(`${job.graphFile}.tmp`, job.graphFile)
    graph = graphFromJson(text)
  }
}
const loadMs = now() - t
const witnessProblems = checkResolution(graph, witnessResolution(graph), job.coreVersion)
if (witnessProblems.length > 0) throw new Error(`generated graph is not satisfiable by its witness: ${witnessProblems.slice(0, 3).join('; ')}`)
const input = {roots: graph.roots, catalog: catalogOf(graph), coreVersion: job.coreVersion}

// GC pauses during a run, from the performance timeline.
const gcEntries = []
const observer = new PerformanceObserver((list) => gcEntries.push(...list.getEntries()))
observer.observe({entryTypes: ['gc']})
const flush = () => new Promise((r) => setTimeout(r, 0)).then(() => new Promise((r) => setImmediate(r)))

/** One timed call; returns {ms, result | error, gc: {count, major, ms}, heapGrowthMb}. */
async function timed() {
  gc()
  await flush()
  const heapBefore = process.memoryUsage().heapUsed
  const start = now()
  let result
  let error
  try {
    result = resolve(input)
  } catch (e) {
    error = e
  }
  const end = now()
  const heapAfter = process.memoryUsage().heapUsed
  await flush()
  const inRun = gcEntries.filter((e) => e.startTime >= start && e.startTime <= end)
  return {
    ms: end - start,
    result,
    error,
    gc: {count: inRun.length, major: inRun.filter((e) => (e.detail?.kind ?? e.kind) === perf.NODE_PERFORMANCE_GC_MAJOR).length, ms: inRun.reduce((a, e) => a + e.duration, 0)},
    heapGrowthMb: (heapAfter - heapBefore) / MB,
  }
}

const out = {
  family: job.family,
  size: job.size,
  seed: job.seed,
  graph: graph.stats,
  importMs,
  generateMs,
  loadMs,
}

/**
 * The outcome of a call, as resolve-shape-run.mjs classifies it: E_RESOLUTION_LIMIT is the
 * new solver's search budget; E_RESOLUTION saying it gave up is the old resolver's step limit
 * (presented to the user as a resolution failure); any other E_RESOLUTION is "no solution".
 */
function classify(error) {
  const code = error.code ?? error.name
  const message = String(error.message ?? error).split('\n')[0].slice(0, 300)
  if (code === 'E_RESOLUTION_LIMIT') return {outcome: 'limit', code, message}
  if (code === 'E_RESOLUTION') return {outcome: /gave up|too many combinations/.test(message) ? 'gave-up' : 'unsat', code, message}
  return {outcome: 'error', code, message}
}

if (job.family === 'stress') {
  // One call on the plain catalog (satisfiable by construction, like the others).
  const run = await timed()
  out.firstMs = run.ms
  out.gc = [run.gc]
  if (run.error) Object.assign(out, classify(run.error))
  else {
    const problems = checkResolution(graph, run.result, job.coreVersion)
    out.outcome = problems.length === 0 ? 'ok' : 'wrong'
    out.problems = problems.slice(0, 5)
    out.selected = run.result.selected.size
  }
  observer.disconnect()
  console.log(JSON.stringify(out))
  process.exit(0)
}

// First call in this process (cold JIT), then `runs` steady-state calls.
const first = await timed()
if (first.error) throw first.error
const problems = checkResolution(graph, first.result, job.coreVersion)
if (problems.length > 0) throw new Error(`invalid resolution: ${problems.slice(0, 3).join('; ')}`)
out.firstMs = first.ms
const runs = []
for (let i = 0; i < job.runs; i++) runs.push(await timed())
out.runsMs = runs.map((r) => r.ms)
out.gc = runs.map((r) => r.gc)
out.heapGrowthMb = median(runs.map((r) => r.heapGrowthMb))
out.selected = first.result.selected.size
out.olderThanNewest = [...first.result.selected.values()].filter((c) => {
  const list = graph.byName.get(c.name)
  return c.version !== list[list.length - 1].version
}).length
out.trapsSelected = [...graph.traps.keys()].filter((n) => first.result.selected.has(n)).length
if (job.lite) {
  observer.disconnect()
  console.log(JSON.stringify(out))
  process.exit(0)
}

// Where a steady-state call goes: the two whole-graph passes, timed alone on the same input
// (same heap as the timed calls: before the probe below allocates its copies).
try {
  const {decisionRanks} = await import(dist('decision-order.js'))
  const {installOrder} = await import(dist('install-order.js'))
  const sel = first.result.selected
  const names = [...sel.keys()].sort()
  const hard = new Map(names.map((n) => [n, Object.keys(sel.get(n).dependencies)]))
  const optional = new Map(names.map((n) => [n, Object.keys(sel.get(n).optional).filter((o) => sel.has(o))]))
  const time = (fn) => {
    const xs = []
    for (let i = 0; i < 3; i++) {
      gc()
      const s = now()
      fn()
      xs.push(now() - s)
    }
    return median(xs)
  }
  out.breakdown = {
    decisionRanksMs: time(() => decisionRanks(graph.roots.map((r) => r.name), input.catalog)),
    installOrderMs: time(() => installOrder(names, hard, optional)),
    installOrderNoOptionalMs: time(() => installOrder(names, hard, new Map())),
    optionalEdgesPresent: [...optional.values()].reduce((a, xs) => a + xs.length, 0),
  }
} catch (error) {
  out.breakdown = {error: String(error.message ?? error)}
}
// Retained by the result (heap after a full GC with the result alive, minus without it).
gc()
const heapWithout = process.memoryUsage().heapUsed
const kept = resolve(input)
gc()
out.resultRetainedMb = (process.memoryUsage().heapUsed - heapWithout) / MB
out.graphHeapMb = heapWithout / MB
if (kept.selected.size !== first.result.selected.size) throw new Error('resolution is not deterministic')

observer.disconnect()
console.log(JSON.stringify(out))
