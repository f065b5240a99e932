// One process of the shape benchmark (resolve-shapes.mjs): builds one shape (untimed), times
// `resolve()` of the given resolver module on it, classifies and checks the outcome, and
// prints one JSON line. Started by resolve-compare.mjs with `node --expose-gc` and a timeout
// (the old resolver can search for minutes), one fresh process per shape, side and round.
//
// argv[2]: JSON {resolver: path of resolver.js, shape, params, runs, budgetMs, coreVersion}
// The first call is timed apart (cold JIT); then up to `runs` more calls while the calls so
// far took less than `budgetMs` in all (a slow case is timed once).
import {performance} from 'node:perf_hooks'
import {pathToFileURL} from 'node:url'

import {buildShape, checkShape} from './resolve-shapes.mjs'

const job = JSON.parse(process.argv[2])
const gc = globalThis.gc ?? (() => {})
const now = () => performance.now()

const {resolve} = await import(pathToFileURL(job.resolver).href)
const graph = buildShape(job.shape, job.params)
const input = {roots: graph.roots, catalog: {versions: (name) => graph.byName.get(name)}, coreVersion: job.coreVersion}

/**
 * ok: a correct resolution; wrong: a resolution that breaks a constraint or is not the only
 * solution; unsat: "no solution" (E_RESOLUTION); gave-up: E_RESOLUTION saying it gave up
 * (the old resolver's step limit, presented as a resolution failure); limit:
 * E_RESOLUTION_LIMIT (the search budget of ResolveInput.limits); error: anything else.
 */
function classify(result, error) {
  if (!error) {
    const problems = checkShape(graph, result, job.coreVersion)
    return {outcome: problems.length === 0 ? 'ok' : 'wrong', problems: problems.slice(0, 5), selected: Object.fromEntries([...result.selected].slice(0, 12).map(([n, c]) => [n, c.version])), selectedCount: result.selected.size}
  }
  const code = error.code ?? error.name
  const message = String(error.message ?? error).split('\n')[0].slice(0, 300)
  if (code === 'E_RESOLUTION_LIMIT') return {outcome: 'limit', code, message}
  if (code === 'E_RESOLUTION') return {outcome: /gave up|too many combinations/.test(message) ? 'gave-up' : 'unsat', code, message}
  return {outcome: 'error', code, message}
}

function call() {
  gc()
  const start = now()
  let result
  let error
  try {
    result = resolve(input)
  } catch (e) {
    error = e
  }
  return {ms: now() - start, ...classify(result, error)}
}

const first = call()
const runsMs = []
let spent = first.ms
if (first.outcome === 'ok' || first.outcome === 'unsat') {
  while (runsMs.length < job.runs && spent < job.budgetMs) {
    const r = call()
    if (r.outcome !== first.outcome) throw new Error(`not deterministic: first call ${first.outcome}, a later one ${r.outcome} (${r.message ?? r.problems?.join('; ')})`)
    runsMs.push(r.ms)
    spent += r.ms
  }
}
const {ms: firstMs, ...outcome} = first
console.log(JSON.stringify({shape: job.shape, params: job.params, graph: graph.stats, expect: graph.expect, firstMs, runsMs, ...outcome}))
