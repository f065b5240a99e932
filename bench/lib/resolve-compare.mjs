// The new resolver side by side with the old one (issue 11; bench/README.md, "Resolver"):
// child processes with a time limit, outcomes classified and described honestly, the
// adversarial shapes (rows 2–4) and `provisioning dep validate` on a local catalog of 10,000
// versions (row 5). Used by resolve.mjs; the old side is a build of BENCH_OLD_REF made by
// resolve.sh in the scratch folder.
import {readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {BENCH} from './bench-env.mjs'
import {median} from './measure.mjs'
import {runProcess, runWithTimeout} from './pool.mjs'
import {localCatalogGraph, localDependenciesYaml, makeWorkspace, writeLocalCatalog} from './resolve-fixtures.mjs'
import {catalogOf, checkResolution} from './resolve-graph.mjs'
import {buildShape, SHAPES} from './resolve-shapes.mjs'

const ANSWERS = new Set(['ok', 'unsat'])

/** The line of a child's stderr that says what went wrong (an Error line, a V8 fatal error), else its last line. */
function errorLine(stderr) {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean)
  return (lines.find((l) => /^(\w*Error|FATAL ERROR)\b/.test(l)) ?? lines.at(-1) ?? 'no output').slice(0, 300)
}

/**
 * A node child printing one JSON line, with a time limit. Returns that JSON (`outcome`
 * defaults to ok) plus wallMs, or {outcome: 'timeout' | 'error'}; never throws for the
 * child's own failure, so a resolver that crashes or searches forever is a result.
 */
export async function runChild(args, {timeoutMs, cwd, env = process.env}) {
  const r = await runWithTimeout({command: process.execPath, args, cwd, env}, timeoutMs)
  if (r.timedOut) return {outcome: 'timeout', wallMs: r.ms, timeoutMs}
  if (r.code !== 0) return {outcome: 'error', wallMs: r.ms, message: `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}: ${errorLine(r.stderr)}`}
  const last = r.stdout.trim().split('\n').pop()
  try {
    return {outcome: 'ok', ...JSON.parse(last), wallMs: r.ms}
  } catch {
    return {outcome: 'error', wallMs: r.ms, message: `unreadable output: ${last?.slice(0, 200)}`}
  }
}

/**
 * One case on one side, over its processes (rounds): the outcome (the same in every process,
 * else `mixed`), whether it is the right answer, the median over the repeated calls of all
 * processes (over the first calls when no call was repeated), the first-call median, and for
 * a non-answer the time it took to get there.
 */
export function summarizeSide(procs, {satisfiable = true} = {}) {
  if (procs.length === 0) return null
  const outcomes = procs.map((p) => p.outcome)
  const outcome = new Set(outcomes).size === 1 ? outcomes[0] : 'mixed'
  const answers = procs.filter((p) => ANSWERS.has(p.outcome))
  const firsts = answers.map((p) => p.firstMs)
  const steady = answers.flatMap((p) => p.runsMs ?? [])
  const timed = steady.length > 0 ? steady : firsts
  const first = procs[0]
  return {
    outcome,
    outcomes,
    correct: outcome === (satisfiable ? 'ok' : 'unsat'),
    medianMs: timed.length > 0 ? median(timed) : null,
    minMs: timed.length > 0 ? Math.min(...timed) : null,
    firstCallMedianMs: firsts.length > 0 ? median(firsts) : null,
    processes: procs.length,
    calls: firsts.length + steady.length,
    spentMs: first.outcome === 'timeout' ? first.timeoutMs : (first.firstMs ?? first.wallMs),
    message: procs.find((p) => p.message)?.message ?? null,
    problems: procs.find((p) => p.problems?.length > 0)?.problems ?? [],
  }
}

export const fmtMs = (ms) => (ms === null || ms === undefined || Number.isNaN(ms) ? '—' : `${Math.round(ms).toLocaleString('en-US')} ms`)
export const fmtS = (ms) => (ms >= 10000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`)
const fmtRatio = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(0) : x.toFixed(2))

/** "212 ms", "gave up: false unsatisfiable after 6.5 s", "> 60 s (killed)", … */
export function describeSide(s, {satisfiable = true} = {}) {
  if (!s) return 'not run'
  switch (s.outcome) {
    case 'ok':
      return fmtMs(s.medianMs)
    case 'unsat':
      return satisfiable ? `false unsatisfiable (E_RESOLUTION) after ${fmtS(s.spentMs)}` : `${fmtMs(s.medianMs)}: no solution (correct)`
    case 'gave-up':
      return satisfiable ? `gave up: false unsatisfiable (E_RESOLUTION) after ${fmtS(s.spentMs)}` : `gave up after ${fmtS(s.spentMs)} (E_RESOLUTION, no proof)`
    case 'limit':
      return `stopped by its limit after ${fmtS(s.spentMs)} (E_RESOLUTION_LIMIT)`
    case 'timeout':
      return `> ${fmtS(s.spentMs)} (killed)`
    case 'wrong':
      return `WRONG answer after ${fmtS(s.spentMs)}: ${s.problems[0] ?? ''}`
    case 'error':
      return `error after ${fmtS(s.spentMs)}: ${s.message}`
    default:
      return `mixed outcomes: ${s.outcomes.join(', ')}`
  }
}

/** old ÷ new of the medians; "> N×" when the old side was killed; nothing to divide when it gave no answer. */
export function ratioText(oldS, newS) {
  if (!oldS || !newS?.correct || !newS.medianMs) return '—'
  if (oldS.correct) return `${fmtRatio(oldS.medianMs / newS.medianMs)}×`
  if (oldS.outcome === 'timeout') return `> ${fmtRatio(oldS.spentMs / newS.medianMs)}×`
  return 'old: no answer'
}

/** "met" / "NOT met" for the new side against a goal in ms (null: no time goal). */
export function goalText(newS, goalMs, {inclusive = false} = {}) {
  if (goalMs === null || goalMs === undefined) return '—'
  if (!newS?.correct) return `NOT met (${newS ? newS.outcome : 'not run'})`
  return (inclusive ? newS.medianMs <= goalMs : newS.medianMs < goalMs) ? 'met' : 'NOT met'
}

// --- rows 2–4: the adversarial shapes ----------------------------------------------------------

/**
 * Every shape, one process per side and round (interleaved, rotating start, the sides'
 * order alternating); the old side only in the first `oldRounds` rounds. A side whose
 * process gave no answer (gave up, limit, timeout, error) or took longer than `onceMs` is not
 * run again: those are reported from one process.
 */
export async function measureShapes({sides, rounds, oldRounds, runs, budgetMs, onceMs, timeoutMs, coreVersion, cwd, log}) {
  const procs = Object.fromEntries(SHAPES.map((c) => [c.id, Object.fromEntries(Object.keys(sides).map((s) => [s, []]))]))
  const done = new Set()
  const script = path.join(BENCH, 'lib', 'resolve-shape-run.mjs')
  for (let r = 0; r < rounds; r++) {
    const line = []
    for (let k = 0; k < SHAPES.length; k++) {
      const c = SHAPES[(r + k) % SHAPES.length]
      const order = r % 2 === 0 ? Object.keys(sides) : Object.keys(sides).reverse()
      for (const side of order) {
        if ((side === 'old' && r >= oldRounds) || done.has(`${c.id} ${side}`)) continue
        const job = {resolver: path.join(sides[side], 'dist', 'lib', 'deps', 'resolver.js'), shape: c.shape, params: c.params, runs, budgetMs, coreVersion}
        const res = await runChild(['--expose-gc', script, JSON.stringify(job)], {timeoutMs: timeoutMs[side], cwd})
        procs[c.id][side].push(res)
        if (!ANSWERS.has(res.outcome) || res.firstMs > onceMs) done.add(`${c.id} ${side}`)
        line.push(`${c.id} ${side} ${res.outcome} ${res.firstMs === undefined ? fmtS(res.wallMs) : fmtMs(res.firstMs)}`)
      }
    }
    log(`shapes: round ${r + 1}/${rounds}: ${line.join(', ') || '(nothing left to run)'}`)
  }
  return SHAPES.map((c) => {
    const built = buildShape(c.shape, c.params)
    const {satisfiable} = built.expect
    const graph = built.stats
    const summary = Object.fromEntries(Object.entries(procs[c.id]).map(([side, xs]) => [side, summarizeSide(xs, {satisfiable})]))
    const strip = (xs) => xs.map(({graph: _g, expect: _e, params: _p, shape: _s, ...rest}) => rest)
    return {id: c.id, label: c.label, shape: c.shape, params: c.params, goalMs: c.goalMs, satisfiable, graph, ...summary, samples: Object.fromEntries(Object.entries(procs[c.id]).map(([s, xs]) => [s, strip(xs)]))}
  })
}

// --- row 5: dep validate on a local catalog --------------------------------------------------------

/**
 * `provisioning dep validate --json` (subprocess) in a workspace declaring `roots` roots from a
 * local source of `names` × `versions` extension folders, cold (a fresh PROVISIONING_HOME each
 * run: empty parse cache) and warm (a home that validated this workspace before), for each
 * side, interleaved with `provisioning --version` (the new CLI) in the same rounds; the old
 * side only in the first `oldRounds` rounds. Every run is checked: exit 0, valid, and as many
 * extensions as that side's resolver picks in process from the same graph.
 */
export async function measureValidate({sides, cliIn, dir, rounds, oldRounds, names, versions, roots, seed, timeoutMs, log}) {
  const newCli = cliIn(sides.new)
  let ts = Date.now()
  const template = path.join(dir('validate'), 'template')
  await runProcess(newCli(['generate', 'extension', 'taskserv', 'benchtemplate', '--path', template], {expect: /created taskserv/}))
  const graph = localCatalogGraph({names, versions, roots, seed})
  const source = path.join(dir('validate'), 'source')
  const folders = writeLocalCatalog(graph, source, template, 'benchtemplate')
  const ws = await makeWorkspace(newCli, path.join(dir('validate'), 'workspace'), localDependenciesYaml(graph, source))
  log(`validate: ${names} names × ${versions} versions = ${folders} extension folders, ${graph.roots.length} roots, written in ${fmtS(Date.now() - ts)}`)

  const expected = {}
  for (const [side, app] of Object.entries(sides)) {
    const {resolve} = await import(pathToFileURL(path.join(app, 'dist', 'lib', 'deps', 'resolver.js')).href)
    const cliVersion = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')).version
    try {
      const res = resolve({roots: graph.roots, catalog: catalogOf(graph), coreVersion: cliVersion})
      const problems = checkResolution(graph, res, cliVersion)
      expected[side] = {count: res.selected.size, problems: problems.slice(0, 3), key: [...res.selected.values()].map((c) => `${c.name}@${c.version}`).sort().join(' ')}
    } catch (error) {
      expected[side] = {count: null, error: String(error.message).split('\n')[0]}
    }
  }

  const run = async (side, home) => {
    const c = cliIn(sides[side])(['dep', 'validate', '--json'], {cwd: ws, home})
    const r = await runWithTimeout(c, timeoutMs[side])
    if (r.timedOut) return {outcome: 'timeout', ms: r.ms, timeoutMs: timeoutMs[side]}
    let doc
    try {
      doc = JSON.parse(r.stdout)
    } catch {
      return {outcome: 'error', ms: r.ms, message: `exit ${r.code}: ${errorLine(r.stderr || r.stdout)}`}
    }
    if (r.code !== 0) return {outcome: 'error', ms: r.ms, message: `exit ${r.code}: ${doc.error?.code ?? ''} ${String(doc.error?.message ?? '').split('\n')[0].slice(0, 200)}`}
    if (doc.valid !== true || doc.extensions !== expected[side].count) return {outcome: 'wrong', ms: r.ms, message: `valid ${doc.valid}, ${doc.extensions} extensions, expected ${expected[side].count}`}
    return {outcome: 'ok', ms: r.ms}
  }
  const warmHome = Object.fromEntries(Object.keys(sides).map((side) => [side, dir('homes', `validate-warm-${side}`)]))
  ts = Date.now()
  const fill = {}
  for (const side of Object.keys(sides)) fill[side] = await run(side, warmHome[side])
  log(`validate: filled the warm homes (${Object.entries(fill).map(([s, r]) => `${s} ${r.outcome} ${fmtS(r.ms)}`).join(', ')}) in ${fmtS(Date.now() - ts)}`)

  let coldRun = 0
  const cases = []
  for (const side of Object.keys(sides)) {
    cases.push(
      {
        id: `${side}-cold`,
        side,
        label: `\`dep validate\`, ${side} CLI, cold: fresh home (empty parse cache)`,
        run: async () => {
          const home = dir('homes', `validate-cold-${coldRun++}`)
          try {
            return await run(side, home)
          } finally {
            rmSync(home, {recursive: true, force: true})
          }
        },
      },
      {id: `${side}-warm`, side, label: `\`dep validate\`, ${side} CLI, warm: home that validated this workspace before`, run: () => run(side, warmHome[side])},
    )
  }
  cases.push({
    id: 'version',
    side: 'new',
    label: '`provisioning --version` (new CLI)',
    run: async () => {
      const start = process.hrtime.bigint()
      await runProcess(newCli(['--version'], {expect: /^provisioning\/\d/}))
      return {outcome: 'ok', ms: Number(process.hrtime.bigint() - start) / 1e6}
    },
  })
  // samples[id][round]: the run of that round (undefined when not run), so rounds pair up.
  const samples = Object.fromEntries(cases.map((c) => [c.id, []]))
  const stopped = new Set()
  for (let r = 0; r < rounds; r++) {
    const line = []
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(r + k) % cases.length]
      if ((c.side === 'old' && r >= oldRounds) || stopped.has(c.id) || (fill[c.side] && fill[c.side].outcome !== 'ok')) continue
      const res = await c.run()
      samples[c.id][r] = res
      if (res.outcome !== 'ok') stopped.add(c.id)
      line.push(`${c.id} ${res.outcome === 'ok' ? fmtMs(res.ms) : `${res.outcome} ${fmtS(res.ms)}`}`)
    }
    log(`validate: round ${r + 1}/${rounds}: ${line.join(', ')}`)
  }
  const base = samples.version
  const stats = cases.map((c) => {
    const runs = samples[c.id].map((x, round) => ({...x, round})).filter((x) => x.outcome !== undefined)
    const ok = runs.filter((x) => x.outcome === 'ok')
    const bad = runs.find((x) => x.outcome !== 'ok') ?? (fill[c.side] && fill[c.side].outcome !== 'ok' ? fill[c.side] : undefined)
    const xs = ok.map((x) => x.ms)
    const paired = ok.filter((x) => base[x.round]?.outcome === 'ok').map((x) => x.ms / base[x.round].ms)
    return {
      id: c.id,
      side: c.side,
      label: c.label,
      outcome: bad ? bad.outcome : ok.length > 0 ? 'ok' : 'not run',
      outcomes: runs.map((x) => x.outcome),
      message: bad?.message ?? null,
      problems: [],
      spentMs: bad ? (bad.outcome === 'timeout' ? bad.timeoutMs : bad.ms) : null,
      correct: !bad && ok.length > 0,
      medianMs: xs.length > 0 ? median(xs) : null,
      minMs: xs.length > 0 ? Math.min(...xs) : null,
      maxMs: xs.length > 0 ? Math.max(...xs) : null,
      ratioToVersion: xs.length > 0 ? median(xs) / median(base.filter((x) => x?.outcome === 'ok').map((x) => x.ms)) : null,
      pairedRatioToVersion: paired.length > 0 ? median(paired) : null,
      samplesMs: runs.map((x) => (x.outcome === 'ok' ? Number(x.ms.toFixed(1)) : x.outcome)),
    }
  })
  return {
    catalog: {names, versions, folders, roots: graph.roots.length, reachable: graph.reachable.size, dependencyEdges: graph.stats.dependencyEdges},
    expected: Object.fromEntries(Object.entries(expected).map(([s, e]) => [s, {count: e.count, problems: e.problems, error: e.error}])),
    sameSelection: expected.old ? expected.old.key === expected.new.key : null,
    fill: Object.fromEntries(Object.entries(fill).map(([s, r]) => [s, {outcome: r.outcome, ms: Number(r.ms.toFixed(1)), message: r.message}])),
    stats,
  }
}
