// Resolver benchmark (bench/README.md, "Resolver"), run through bench/resolve.sh:
//  (a) `alone`: the resolver alone (dist/lib/deps/resolver.js) on synthetic graphs of 1,000
//      and 10,000 extensions, in process, one fresh process per graph and round;
//  (d) `shapes`: adversarial catalogs (resolve-shapes.mjs): a lowest-only-solvable chain,
//      pub's complex backtrack widened, pigeonhole (unsatisfiable);
//  (e) `validate`: `provisioning dep validate --json` on a local catalog of 10,000 versions,
//      cold and warm, against `provisioning --version`;
//  (b) `cli`: `provisioning dep resolve` of a workspace declaring ~20 of 100 extensions
//      published to a local docker-registry: cold, warm and locked;
//  (c) the locked case against `provisioning --version`, in the same interleaved rounds.
// (a), (d) and (e) run the old resolver (a build of BENCH_OLD_REF, issue 11's baseline) side
// by side, each of its runs in a child process with a time limit.
//
// env (set by resolve.sh): BENCH_APP (private copy of the built CLI), BENCH_WORK (scratch),
// BENCH_REGISTRY=127.0.0.1:PORT (only with the cli part), BENCH_OLD_APP (the old build, unset
// with BENCH_OLD_REF=none), BENCH_OLD_SHA (its commit).
// env (user): see the header of bench/resolve.sh.
import {spawnSync} from 'node:child_process'
import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {APP, BENCH, RESULTS, ROOT, RUN_JS, hermeticEnv, intEnv, scratchDirs} from './bench-env.mjs'
import {machineInfo, median, percentile} from './measure.mjs'
import {runProcess} from './pool.mjs'
import {describeSide, fmtMs, goalText, measureShapes, measureValidate, ratioText, runChild, summarizeSide} from './resolve-compare.mjs'
import {dependenciesYaml, makeExtensions, makeWorkspace, workspaceGraph} from './resolve-fixtures.mjs'
import {catalogOf} from './resolve-graph.mjs'
import {summarizeProfile} from './resolve-profile.mjs'

const WORK = process.env.BENCH_WORK
const REGISTRY = process.env.BENCH_REGISTRY
if (!WORK) throw new Error('run through bench/resolve.sh (BENCH_WORK is not set)')

const listEnv = (name, fallback) => (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean).map(Number)
const PARTS = ['alone', 'shapes', 'validate', 'cli']
const onlyEnv = process.env.BENCH_ONLY || 'alone,shapes,validate' // resolve.sh passes it
const ONLY = (onlyEnv === 'all' ? PARTS.join(',') : onlyEnv).split(',').map((s) => s.trim()).filter(Boolean)
for (const part of ONLY) if (!PARTS.includes(part)) throw new Error(`BENCH_ONLY: "${part}" is not one of ${PARTS.join(', ')}`)
const SEED = intEnv('BENCH_SEED', 1)
const ALONE_ROUNDS = intEnv('BENCH_ALONE_ROUNDS', 3, 1)
const ALONE_RUNS = intEnv('BENCH_ALONE_RUNS', 5, 1)
const SIZES = listEnv('BENCH_SIZES', '1000,10000')
const STRESS_SIZES = listEnv('BENCH_STRESS', '1000,10000')
const ROUNDS = intEnv('BENCH_ROUNDS', 5, 1)
const WARMUP = intEnv('BENCH_WARMUP', 1)
const COUNT = intEnv('BENCH_COUNT', 100, 10)
const ROOTS = intEnv('BENCH_ROOTS', 20, 1)
const PROFILE = process.env.BENCH_PROFILE === '1'
const OLD_APP = process.env.BENCH_OLD_APP || ''
const OLD_SHA = process.env.BENCH_OLD_SHA || ''
const OLD_REF = process.env.BENCH_OLD_REF || (OLD_APP ? 'db605b8' : 'none')
// Default: the old side runs in every round, interleaved with the new one, so that on a shared
// machine both sides see the same load (one old round set old against new of other moments).
const OLD_ROUNDS = process.env.BENCH_OLD_ROUNDS ? intEnv('BENCH_OLD_ROUNDS', 1, 1) : Number.POSITIVE_INFINITY
const OLD_ROUNDS_TEXT = OLD_ROUNDS === Number.POSITIVE_INFINITY ? 'every round' : `${OLD_ROUNDS} round(s)`
const TIMEOUT_MS = {new: intEnv('BENCH_NEW_TIMEOUT', 120, 1) * 1000, old: intEnv('BENCH_OLD_TIMEOUT', 120, 1) * 1000}
const SHAPE_ROUNDS = intEnv('BENCH_SHAPE_ROUNDS', 3, 1)
const SHAPE_RUNS = intEnv('BENCH_SHAPE_RUNS', 5, 0)
const VALIDATE_ROUNDS = intEnv('BENCH_VALIDATE_ROUNDS', 3, 1)
const VALIDATE_NAMES = intEnv('BENCH_VALIDATE_NAMES', 2000, 10)
const VALIDATE_VERSIONS = intEnv('BENCH_VALIDATE_VERSIONS', 5, 1)
const VALIDATE_ROOTS = intEnv('BENCH_VALIDATE_ROOTS', 20, 1)
const CORE = '1.0.0' // core version the synthetic graphs are resolved against
const GOAL_ALONE_MS = 300 // issue 11: 10,000 extensions
const GOAL_VALIDATE_MS = 1000 // issue 11: dep validate, 10,000 versions (≤)
const GOAL_LOCKED_RATIO = 2
/** The CLIs / builds compared: `new` is this checkout's build, `old` the build of BENCH_OLD_REF. */
const SIDES = OLD_APP ? {new: APP, old: OLD_APP} : {new: APP}
const OLD_LABEL = OLD_APP ? `old (${OLD_REF}${OLD_SHA && !OLD_SHA.startsWith(OLD_REF) ? ` = ${OLD_SHA.slice(0, 7)}` : ''})` : 'old'

const log = (msg) => process.stderr.write(`${msg}\n`)
const dir = scratchDirs(WORK)
const t0 = Date.now()
const machine = machineInfo()
log(`resolve bench: node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, load ${machine.loadavg.join(' ')}; parts ${ONLY.join(',')}; old resolver: ${OLD_APP ? `${OLD_REF} ${OLD_SHA}` : 'none'}`)

// --- (a) the resolver alone ---------------------------------------------------------------
// Graph families (resolve-graph.mjs); every range of the witness versions holds, so each
// graph is satisfiable, which resolve-alone.mjs checks before timing.
const consistent = {aimAtWitness: 1, optionalAim: 1, conflictAim: 1}
const FAMILIES = {
  dense: {label: 'dense', graph: {...consistent, traps: 0}},
  backtracking: {label: 'dense + forced backtracking (traps)', graph: {...consistent, traps: 0.2}},
  // 2 % of the non-witness versions' ranges aim elsewhere: still satisfiable, but dead ends
  // are found late (the old resolver blamed them on many requirers and gave up at 10,000).
  stress: {label: 'stress: 2 % of other versions\' ranges disagree', graph: {aimAtWitness: 0.98, optionalAim: 0.98, conflictAim: 0.98, traps: 0}},
}

/**
 * One process of (a) on one side: the new side measures everything, the old one only the
 * timed calls (`lite`). Both read the graph of a seed from one JSON file (generated once).
 * Never throws for the resolver's failure: {outcome: 'timeout' | 'error', …} instead.
 */
async function alone(side, family, size, seed, runs) {
  const job = {app: SIDES[side], family, size, seed, runs, graph: FAMILIES[family].graph, coreVersion: CORE, lite: side === 'old'}
  job.graphFile = path.join(dir('graphs'), `${family}-${size}-${seed}.json`)
  return runChild(['--expose-gc', path.join(BENCH, 'lib', 'resolve-alone.mjs'), JSON.stringify(job)], {timeoutMs: TIMEOUT_MS[side], cwd: WORK})
}

const aloneLine = (side, res) => (res.outcome === 'ok' ? `${side} ${median(res.runsMs).toFixed(0)}ms (first ${res.firstMs.toFixed(0)})` : `${side} ${res.outcome} after ${(res.wallMs / 1000).toFixed(1)} s`)

async function measureAlone() {
  const cases = SIZES.flatMap((size) => ['dense', 'backtracking'].map((family) => ({family, size, id: `${family}-${size}`})))
  const samples = Object.fromEntries(cases.map((c) => [c.id, Object.fromEntries(Object.keys(SIDES).map((side) => [side, []]))]))
  for (let r = 0; r < ALONE_ROUNDS; r++) {
    const line = []
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(r + k) % cases.length]
      const order = r % 2 === 0 ? Object.keys(SIDES) : Object.keys(SIDES).reverse()
      const parts = []
      for (const side of order) {
        if (side === 'old' && r >= OLD_ROUNDS) continue
        const res = await alone(side, c.family, c.size, SEED + r, ALONE_RUNS)
        samples[c.id][side].push(res)
        parts.push(aloneLine(side, res))
      }
      line.push(`${c.id}: ${parts.join(', ')}`)
    }
    log(`alone: round ${r + 1}/${ALONE_ROUNDS}: ${line.join('; ')}`)
  }
  const summary = cases.map((c) => {
    const xs = samples[c.id].new.filter((x) => x.outcome === 'ok')
    const runs = xs.flatMap((x) => x.runsMs)
    const gcs = xs.flatMap((x) => x.gc)
    const med = (f) => median(xs.map(f).filter((v) => typeof v === 'number'))
    return {
      id: c.id,
      family: c.family,
      label: FAMILIES[c.family].label,
      size: c.size,
      medianMs: median(runs),
      minMs: Math.min(...runs),
      p90Ms: percentile(runs, 90),
      firstCallMedianMs: med((x) => x.firstMs),
      gcMsPerCall: median(gcs.map((g) => g.ms)),
      gcCountPerCall: median(gcs.map((g) => g.count)),
      majorGcPerCall: median(gcs.map((g) => g.major)),
      heapGrowthMb: med((x) => x.heapGrowthMb),
      // The old side's timed calls record GC and heap growth too (lite skips only the extras).
      old: (() => {
        const ys = (samples[c.id].old ?? []).filter((x) => x.outcome === 'ok')
        if (ys.length === 0) return null
        const gcs = ys.flatMap((x) => x.gc)
        return {gcMsPerCall: median(gcs.map((g) => g.ms)), gcCountPerCall: median(gcs.map((g) => g.count)), heapGrowthMb: median(ys.map((x) => x.heapGrowthMb))}
      })(),
      resultRetainedMb: med((x) => x.resultRetainedMb),
      graphHeapMb: med((x) => x.graphHeapMb),
      generateMs: med((x) => x.generateMs),
      graph: xs.map((x) => ({seed: x.seed, ...x.graph, selected: x.selected, olderThanNewest: x.olderThanNewest, trapsSelected: x.trapsSelected})),
      breakdown: {
        decisionRanksMs: med((x) => x.breakdown?.decisionRanksMs),
        installOrderMs: med((x) => x.breakdown?.installOrderMs),
        installOrderNoOptionalMs: med((x) => x.breakdown?.installOrderNoOptionalMs),
        optionalEdgesPresent: med((x) => x.breakdown?.optionalEdgesPresent),
      },
      meetsGoal: c.size >= 10000 ? xs.length === samples[c.id].new.length && median(runs) < GOAL_ALONE_MS : null,
      goalMs: c.size >= 10000 ? GOAL_ALONE_MS : null,
      sides: Object.fromEntries(Object.entries(samples[c.id]).map(([side, procs]) => [side, summarizeSide(procs)])),
      samples: xs.map((x) => ({seed: x.seed, firstMs: round1(x.firstMs), runsMs: x.runsMs.map(round1), gc: x.gc})),
      oldSamples: (samples[c.id].old ?? []).map((x) => (x.outcome === 'ok' ? {seed: x.seed, firstMs: round1(x.firstMs), runsMs: x.runsMs.map(round1), selected: x.selected} : {outcome: x.outcome, message: x.message, wallMs: round1(x.wallMs)})),
    }
  })
  // The stress graph: one call per side (the old resolver may search until its step limit).
  const stress = []
  for (const size of STRESS_SIZES) {
    log(`alone: stress graph, ${size} extensions (one call per side; the old side may run into its step limit)`)
    const procs = {}
    for (const side of Object.keys(SIDES)) procs[side] = await alone(side, 'stress', size, SEED, 1)
    const n = procs.new
    const sides = Object.fromEntries(Object.entries(procs).map(([side, res]) => [side, summarizeSide([res])]))
    stress.push({
      size,
      label: FAMILIES.stress.label,
      seed: SEED,
      graph: n.graph ?? {versions: null},
      selected: n.selected ?? null,
      gc: n.gc?.[0] ?? {ms: null},
      sides,
      meetsGoal: size >= 10000 ? sides.new.correct && sides.new.medianMs < GOAL_ALONE_MS : null,
      goalMs: size >= 10000 ? GOAL_ALONE_MS : null,
      samples: Object.fromEntries(Object.entries(procs).map(([side, res]) => [side, {outcome: res.outcome, firstMs: res.firstMs === undefined ? null : round1(res.firstMs), wallMs: round1(res.wallMs), selected: res.selected ?? null, message: res.message ?? null, problems: res.problems ?? []}])),
    })
    log(`alone: stress ${size}: ${Object.entries(sides).map(([side, x]) => `${side} ${describeSide(x)}`).join(', ')}`)
  }
  return {summary, stress}
}

const round1 = (x) => Number(x.toFixed(1))

// --- (b) dep resolve against a registry, (c) against --version ------------------------------
const oursEnv = hermeticEnv((name) => dir('xdg', name))
Object.assign(oursEnv, {
  PROVISIONING_HOME: dir('homes', 'setup'),
  PROVISIONING_OCI__TOOL: 'native',
  PROVISIONING_OCI__TLS_ENABLED: 'false',
  DOCKER_CONFIG: dir('docker'),
  CI: '1',
})
if (REGISTRY) oursEnv.PROVISIONING_OCI__REGISTRY = REGISTRY
const NAMESPACE = 'bench'
/** A `provisioning` command of the CLI built in `app` (this checkout's copy by default). */
const cliIn =
  (app) =>
  (args, {expect, cwd = dir('cwd'), home, extraArgs = []} = {}) => ({
    command: process.execPath,
    args: [...extraArgs, app === APP ? RUN_JS : path.join(app, 'bin', 'run.js'), ...args],
    cwd,
    env: {...oursEnv, PROVISIONING_OCI__NAMESPACE: NAMESPACE, ...(home ? {PROVISIONING_HOME: home} : {})},
    expect,
  })
const cli = cliIn(APP)

async function measureCli() {
  if (!REGISTRY) throw new Error('BENCH_REGISTRY is not set (run through bench/resolve.sh)')
  const graph = workspaceGraph({count: COUNT, roots: ROOTS, seed: SEED})
  log(`cli: ${COUNT} extensions, ${graph.stats.versions} versions, ${graph.roots.length} roots; generating them with \`provisioning generate extension\``)
  const folders = await makeExtensions(cli, graph, dir('fixtures'))
  let ts = Date.now()
  const pushOut = await runProcess(cli(['oci', 'push', ...folders, '--json', '--concurrency', '4']))
  const pushed = JSON.parse(pushOut)
  const list = Array.isArray(pushed) ? pushed : Object.values(pushed).find((v) => Array.isArray(v))
  if (list?.length !== folders.length) throw new Error(`oci push reported ${list?.length ?? 'no'} artifacts for ${folders.length} folders: ${pushOut.slice(0, 400)}`)
  log(`cli: pushed ${folders.length} artifacts with one \`oci push DIR...\` in ${((Date.now() - ts) / 1000).toFixed(1)} s`)

  // What the CLI must come up with: the same graph resolved in this process (core = the CLI's version).
  const {resolve} = await import(pathToFileURL(path.join(APP, 'dist', 'lib', 'deps', 'resolver.js')).href)
  const cliVersion = JSON.parse(readFileSync(path.join(APP, 'package.json'), 'utf8')).version
  const expected = resolve({roots: graph.roots, catalog: catalogOf(graph), coreVersion: cliVersion})
  const expectedKey = [...expected.selected.values()].map((c) => `${c.name}@${c.version}`).sort().join(' ')

  const yaml = dependenciesYaml(graph, {registry: REGISTRY, namespace: NAMESPACE})
  const ws = {}
  for (const id of ['cold', 'warm', 'locked']) ws[id] = await makeWorkspace(cli, path.join(WORK, 'workspaces', id), yaml)
  const lockOf = (id) => path.join(ws[id], 'config', 'provisioning.lock')
  const resetExtensions = (id) => {
    rmSync(path.join(ws[id], 'extensions'), {recursive: true, force: true})
    for (const group of ['providers', 'taskservs', 'clusters']) mkdirSync(path.join(ws[id], 'extensions', group), {recursive: true})
  }

  /** Parses and checks `dep resolve --json`; returns a short description. */
  const check = (id, stdout, want) => {
    const r = JSON.parse(stdout)
    const got = r.order.map((e) => `${e.name}@${e.version}`).sort().join(' ')
    const problems = []
    if (got !== expectedKey) problems.push(`resolved ${r.order.length} extensions, not the ${expected.selected.size} the in-process resolver picks`)
    if (r.followedLock !== want.followedLock) problems.push(`followedLock ${r.followedLock}`)
    if (r.installed.length !== want.installed) problems.push(`installed ${r.installed.length}, expected ${want.installed}`)
    if (r.lockWritten !== want.lockWritten) problems.push(`lockWritten ${r.lockWritten}`)
    if (problems.length > 0) throw new Error(`dep resolve (${id}): ${problems.join('; ')}`)
    return r
  }
  const homes = {warm: dir('homes', 'warm'), locked: dir('homes', 'locked')}
  const n = expected.selected.size
  let coldRun = 0
  const cases = [
    {
      id: 'cold',
      label: '`dep resolve`, cold: empty cache, no lockfile, nothing installed',
      before: () => {
        rmSync(lockOf('cold'), {force: true})
        resetExtensions('cold')
        return {home: dir('homes', `cold-${coldRun++}`)}
      },
      after: ({home}) => rmSync(home, {recursive: true, force: true}),
      run: ({home}) => cli(['dep', 'resolve', '--json'], {cwd: ws.cold, home}),
      want: {followedLock: false, installed: n, lockWritten: true},
    },
    {
      id: 'warm',
      label: '`dep resolve`, warm: cache filled, no lockfile, installed',
      before: () => rmSync(lockOf('warm'), {force: true}),
      run: () => cli(['dep', 'resolve', '--json'], {cwd: ws.warm, home: homes.warm}),
      want: {followedLock: false, installed: 0, lockWritten: true},
    },
    {
      id: 'locked',
      label: '`dep resolve`, locked: lockfile matches, cache filled, installed',
      run: () => cli(['dep', 'resolve', '--json'], {cwd: ws.locked, home: homes.locked}),
      want: {followedLock: true, installed: 0, lockWritten: false},
    },
    {
      // The first run after the workspace config or the lock changed (or in a fresh CI
      // home): the same, with the parsed-YAML cache emptied before each run.
      id: 'locked-unparsed',
      label: '`dep resolve`, locked, parse cache empty (first run after an edit)',
      before: () => rmSync(path.join(homes.locked, 'cache', 'parsed'), {recursive: true, force: true}),
      run: () => cli(['dep', 'resolve', '--json'], {cwd: ws.locked, home: homes.locked}),
      want: {followedLock: true, installed: 0, lockWritten: false},
    },
    {id: 'version', label: '`provisioning --version`', run: () => cli(['--version'], {expect: /^provisioning\/\d/})},
  ]
  // Fill the warm and locked workspaces and caches (a cold run each), and check the result.
  ts = Date.now()
  for (const id of ['warm', 'locked']) check(id, await runProcess(cli(['dep', 'resolve', '--json'], {cwd: ws[id], home: homes[id]})), {followedLock: false, installed: n, lockWritten: true})
  log(`cli: filled the warm and locked workspaces (${n} extensions each) in ${((Date.now() - ts) / 1000).toFixed(1)} s`)

  const samples = Object.fromEntries(cases.map((c) => [c.id, []]))
  const total = WARMUP + ROUNDS
  for (let r = 0; r < total; r++) {
    const warm = r < WARMUP
    const line = []
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(r + k) % cases.length]
      const state = c.before?.() ?? {}
      const command = c.run(state)
      const start = process.hrtime.bigint()
      const stdout = await runProcess(command)
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      if (c.want) check(c.id, stdout, c.want)
      c.after?.(state)
      if (!warm) samples[c.id].push(ms)
      line.push(`${c.id} ${ms.toFixed(0)}ms`)
    }
    log(`cli: ${warm ? `warm-up ${r + 1}/${WARMUP}` : `round ${r - WARMUP + 1}/${ROUNDS}`}: ${line.join(', ')}`)
  }
  const base = samples.version
  const stats = cases.map((c) => {
    const xs = samples[c.id]
    return {
      id: c.id,
      label: c.label,
      medianMs: median(xs),
      minMs: Math.min(...xs),
      maxMs: Math.max(...xs),
      ratioToVersion: median(xs) / median(base),
      pairedRatioToVersion: median(xs.map((x, i) => x / base[i])),
      samplesMs: xs.map(round1),
    }
  })
  const lockBytes = readFileSync(lockOf('locked'), 'utf8').length
  const installed = readdirSync(path.join(ws.locked, 'extensions', 'taskservs')).filter((e) => !e.startsWith('.')).length

  let profile
  if (PROFILE) {
    const profDir = dir('profiles')
    for (const [id, args, opts] of [
      ['locked', ['dep', 'resolve', '--json'], {cwd: ws.locked, home: homes.locked}],
      ['version', ['--version'], {}],
    ]) {
      const out = path.join(profDir, id)
      for (let i = 0; i < 3; i++) await runProcess(cli(args, {...opts, extraArgs: ['--cpu-prof', `--cpu-prof-dir=${out}`]}))
      profile = {...profile, [id]: readdirSync(out).map((f) => summarizeProfile(path.join(out, f)))}
    }
  }
  return {graph: {...graph.stats, artifacts: folders.length, selected: n, roots: graph.roots.length}, stats, lockBytes, installed, profile}
}

// --- run, report ----------------------------------------------------------------------------
const aloneResult = ONLY.includes('alone') ? await measureAlone() : undefined
const shapesResult = ONLY.includes('shapes')
  ? await measureShapes({sides: SIDES, rounds: SHAPE_ROUNDS, oldRounds: OLD_ROUNDS, runs: SHAPE_RUNS, budgetMs: 2000, onceMs: 10000, timeoutMs: TIMEOUT_MS, coreVersion: CORE, cwd: WORK, log})
  : undefined
const validateResult = ONLY.includes('validate')
  ? await measureValidate({sides: SIDES, cliIn, dir, rounds: VALIDATE_ROUNDS, oldRounds: OLD_ROUNDS, names: VALIDATE_NAMES, versions: VALIDATE_VERSIONS, roots: VALIDATE_ROOTS, seed: SEED, timeoutMs: TIMEOUT_MS, log})
  : undefined
const cliResult = ONLY.includes('cli') ? await measureCli() : undefined
const loadAfter = os.loadavg().map((x) => Number(x.toFixed(2)))

const version = (cmd, args) => spawnSync(cmd, args, {encoding: 'utf8'}).stdout?.trim() ?? 'unknown'
const srcChanged = () => version('git', ['-C', ROOT, 'status', '--porcelain', 'src']) !== ''
const f0 = (x) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(0))
const f1 = (x) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(1))
const f2 = (x) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(2))
const lines = []

// Issue 11's rows, each new beside old, first.
const goalLabel = (ms, inclusive) => (ms === null ? '—' : `${inclusive ? '≤' : '<'} ${ms >= 1000 ? `${ms / 1000} s` : ms === 300 ? '0.3 s' : `${ms} ms`}`)
const summaryRows = []
for (const s of aloneResult?.summary ?? []) {
  if (s.size !== 10000) continue
  summaryRows.push({id: `alone-${s.id}`, label: `1. resolver alone, ${s.size.toLocaleString('en-US')} extensions, ${s.label}`, satisfiable: true, newS: s.sides.new, oldS: s.sides.old, goalMs: GOAL_ALONE_MS, inclusive: false})
}
for (const s of aloneResult?.stress ?? []) {
  if (s.size !== 10000) continue
  summaryRows.push({id: `alone-stress-${s.size}`, label: `1. resolver alone, ${s.size.toLocaleString('en-US')} extensions, ${s.label} (one call)`, satisfiable: true, newS: s.sides.new, oldS: s.sides.old, goalMs: GOAL_ALONE_MS, inclusive: false})
}
for (const c of shapesResult ?? []) {
  const row = c.shape === 'chain' ? 2 : c.shape === 'backtrack' ? 3 : 4
  summaryRows.push({id: c.id, label: `${row}. ${c.label}`, satisfiable: c.satisfiable, newS: c.new, oldS: c.old, goalMs: c.goalMs, inclusive: false})
}
for (const temp of ['cold', 'warm']) {
  if (!validateResult) break
  const by = (id) => validateResult.stats.find((x) => x.id === id)
  summaryRows.push({id: `validate-${temp}`, label: `5. \`dep validate\`, local catalog of ${validateResult.catalog.folders.toLocaleString('en-US')} versions, ${temp} parse cache`, satisfiable: true, newS: by(`new-${temp}`), oldS: by(`old-${temp}`), goalMs: GOAL_VALIDATE_MS, inclusive: true})
}
for (const r of summaryRows) Object.assign(r, {newText: describeSide(r.newS, r), oldText: r.oldS ? describeSide(r.oldS, r) : 'not run', ratio: ratioText(r.oldS, r.newS), goal: goalLabel(r.goalMs, r.inclusive), met: goalText(r.newS, r.goalMs, r)})
if (summaryRows.length > 0) {
  lines.push(`| Issue 11 row | new (median) | ${OLD_LABEL} | old ÷ new | goal | goal met |`, '| --- | ---: | ---: | ---: | --- | --- |')
  for (const r of summaryRows) lines.push(`| ${r.label} | **${r.newText}** | ${r.oldText} | ${r.ratio} | ${r.goal} | ${r.met} |`)
  lines.push(
    '',
    `Medians over the repeated calls of all processes (the first call in each process apart, below), or over the processes when a case is timed once; the old side ran in ${OLD_ROUNDS_TEXT}, each of its processes limited to ${TIMEOUT_MS.old / 1000} s (new: ${TIMEOUT_MS.new / 1000} s).`,
    '',
  )
}

if (aloneResult) {
  lines.push(
    '(a) The resolver alone:',
    '',
    `| Graph | extensions | versions | selected | median ms | min ms | p90 ms | first call in a process ms | GC ms per call | ranks + install order ms | ${OLD_LABEL} median ms | old first call ms | old ÷ new | goal < 0.3 s |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  )
  for (const s of aloneResult.summary) {
    const g = s.graph
    const range = (f) => {
      const xs = g.map(f).filter((v) => v !== null && v !== undefined)
      return xs.length === 0 ? '—' : Math.min(...xs) === Math.max(...xs) ? String(xs[0]) : `${Math.min(...xs)}–${Math.max(...xs)}`
    }
    lines.push(
      `| ${s.label} | ${s.size} | ${range((x) => x.versions)} | ${range((x) => x.selected)} | **${f0(s.medianMs)}** | ${f0(s.minMs)} | ${f0(s.p90Ms)} | ${f0(s.firstCallMedianMs)} | ${f0(s.gcMsPerCall)} (${s.gcCountPerCall} GCs) | ${f0(s.breakdown.decisionRanksMs)} + ${f0(s.breakdown.installOrderMs)} | ${s.sides.old ? describeSide(s.sides.old).replace(/ ms$/, '') : '—'} | ${f0(s.sides.old?.firstCallMedianMs)} | ${ratioText(s.sides.old, s.sides.new)} | ${s.goalMs === null ? '—' : goalText(s.sides.new, s.goalMs)} |`,
    )
  }
  for (const s of aloneResult.stress) {
    const one = (x) => (x ? (x.outcome === 'ok' ? f0(x.medianMs) : describeSide(x)) : '—')
    lines.push(
      `| ${s.label} | ${s.size} | ${s.graph.versions ?? '—'} | ${s.selected ?? '—'} | **${one(s.sides.new)}** | — | — | (one call) | ${f0(s.gc.ms)} | — | ${one(s.sides.old)} | (one call) | ${ratioText(s.sides.old, s.sides.new)} | ${s.goalMs === null ? '—' : goalText(s.sides.new, s.goalMs)} |`,
    )
  }
  lines.push(
    '',
    `${ALONE_ROUNDS} processes per graph (seeds ${SEED}–${SEED + ALONE_ROUNDS - 1}), ${ALONE_RUNS} timed calls each after the first (the old side: ${OLD_ROUNDS_TEXT})${STRESS_SIZES.length > 0 ? `; stress: seed ${SEED}, one call per side` : ''}; heap growth per call ` +
      aloneResult.summary.map((s) => `${s.id} ${f1(s.heapGrowthMb)} MB${s.old ? ` (old ${f1(s.old.heapGrowthMb)} MB)` : ''}`).join(', ') +
      (aloneResult.summary.some((s) => s.old) ? '; old GC ms per call ' + aloneResult.summary.filter((s) => s.old).map((s) => `${s.id} ${f0(s.old.gcMsPerCall)} (${s.old.gcCountPerCall} GCs)`).join(', ') : '') +
      '; result retained ' +
      aloneResult.summary.map((s) => `${s.id} ${f1(s.resultRetainedMb)} MB`).join(', ') +
      '.',
    '',
  )
}
if (shapesResult) {
  lines.push(
    '(d) Adversarial shapes (one process per side and round; calls repeated while under 2 s in all):',
    '',
    `| Shape | names | versions | new | new first call | new processes × calls | ${OLD_LABEL} | old first call | old processes × calls | old ÷ new | goal |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  )
  for (const c of shapesResult) {
    const side = (x) => (x ? [describeSide(x, c), fmtMs(x.firstCallMedianMs), `${x.processes} × ${x.calls}`] : ['not run', '—', '—'])
    lines.push(`| ${c.label} | ${c.graph?.names ?? '—'} | ${c.graph?.versions ?? '—'} | ${side(c.new).join(' | ')} | ${side(c.old).join(' | ')} | ${ratioText(c.old, c.new)} | ${c.goalMs === null ? '—' : `< ${fmtMs(c.goalMs)}: ${goalText(c.new, c.goalMs)}`} |`)
  }
  lines.push('')
}
if (validateResult) {
  const v = validateResult
  lines.push(
    `(e) \`provisioning dep validate --json\`, local source: ${v.catalog.names.toLocaleString('en-US')} names × ${v.catalog.versions} versions = ${v.catalog.folders.toLocaleString('en-US')} extension folders, ${v.catalog.roots} roots, ${v.catalog.reachable} names reachable; resolves to ${v.expected.new.count ?? v.expected.new.error} extensions (new)${v.expected.old ? `, ${v.expected.old.count ?? v.expected.old.error} (old)${v.sameSelection ? ', the same selection' : v.sameSelection === false ? ', a different selection' : ''}` : ''}; ${VALIDATE_ROUNDS} rounds, interleaved:`,
    '',
    '| Case | median | min ms | max ms | × `--version` (medians) | × `--version` (paired) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  )
  for (const s of v.stats) lines.push(`| ${s.label} | **${describeSide(s)}** | ${f0(s.minMs)} | ${f0(s.maxMs)} | ${s.id === 'version' ? '**1.00**' : f2(s.ratioToVersion)} | ${f2(s.pairedRatioToVersion)} |`)
  lines.push('')
}
if (cliResult) {
  lines.push('(b), (c) `dep resolve` against a local registry:', '', '| Case | median ms | min ms | max ms | × `--version` (medians) | × `--version` (paired) |', '| --- | ---: | ---: | ---: | ---: | ---: |')
  for (const s of cliResult.stats) lines.push(`| ${s.label} | **${f0(s.medianMs)}** | ${f0(s.minMs)} | ${f0(s.maxMs)} | ${s.id === 'version' ? '**1.00**' : f2(s.ratioToVersion)} | ${f2(s.pairedRatioToVersion)} |`)
  const locked = cliResult.stats.find((s) => s.id === 'locked')
  lines.push(
    '',
    `Workspace: ${COUNT} extensions, ${cliResult.graph.artifacts} artifacts, ${cliResult.graph.roots} roots, ${cliResult.graph.selected} resolved and installed; lockfile ${cliResult.lockBytes} bytes.`,
    `Locked / \`--version\`: **${f2(locked.ratioToVersion)}×** (paired ${f2(locked.pairedRatioToVersion)}×); goal ≤ ${GOAL_LOCKED_RATIO}×: ${locked.ratioToVersion <= GOAL_LOCKED_RATIO ? 'met' : 'NOT met'}. ` +
      `${ROUNDS} rounds after ${WARMUP} warm-up round(s), interleaved.`,
  )
  if (cliResult.profile) {
    for (const [id, profs] of Object.entries(cliResult.profile)) {
      const p = profs[Math.floor(profs.length / 2)]
      lines.push('', `CPU profile, ${id} (one of ${profs.length}; ${f0(p.totalMs)} ms sampled): ${p.groups.map((g) => `${g.name} ${f0(g.ms)}`).join(', ')}`)
      lines.push(`  top self time: ${p.top.slice(0, 10).map((t) => `${t.name} ${f1(t.ms)}`).join('; ')}`)
      lines.push(`  project functions, inclusive: ${p.projectInclusive.slice(0, 12).map((t) => `${t.name} ${f1(t.ms)}`).join('; ')}`)
    }
  }
}
lines.push('', `node ${machine.node}, ${machine.platform}, ${machine.cpus} × ${machine.cpuModel}; load ${machine.loadavg.join(' ')} before, ${loadAfter.join(' ')} after; new: ${version('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])}${srcChanged() ? ' + uncommitted src/ changes' : ''}, old: ${OLD_APP ? `${OLD_REF} (${OLD_SHA})` : 'not run'}.`)
console.log(lines.join('\n'))

mkdirSync(RESULTS, {recursive: true})
const json = {
  date: new Date().toISOString(),
  machine: {...machine, loadavgAfter: loadAfter},
  code: {commit: version('git', ['-C', ROOT, 'rev-parse', 'HEAD']), srcChanged: srcChanged(), old: OLD_APP ? {ref: OLD_REF, commit: OLD_SHA} : null},
  tools: REGISTRY ? {registry: version('docker-registry', ['--version'])} : {},
  settings: {
    parts: ONLY,
    seed: SEED,
    aloneRounds: ALONE_ROUNDS,
    aloneRuns: ALONE_RUNS,
    sizes: SIZES,
    stressSizes: STRESS_SIZES,
    rounds: ROUNDS,
    warmup: WARMUP,
    count: COUNT,
    roots: ROOTS,
    families: FAMILIES,
    oldRounds: OLD_ROUNDS === Number.POSITIVE_INFINITY ? 'all' : OLD_ROUNDS,
    timeoutMs: TIMEOUT_MS,
    shapeRounds: SHAPE_ROUNDS,
    shapeRuns: SHAPE_RUNS,
    validate: {rounds: VALIDATE_ROUNDS, names: VALIDATE_NAMES, versions: VALIDATE_VERSIONS, roots: VALIDATE_ROOTS},
  },
  goals: {aloneMsAt10000: GOAL_ALONE_MS, shapesMs: Object.fromEntries((shapesResult ?? []).map((c) => [c.id, c.goalMs])), validateMs: GOAL_VALIDATE_MS, lockedOverVersion: GOAL_LOCKED_RATIO},
  issue11: summaryRows.map((r) => ({id: r.id, label: r.label, new: r.newText, old: r.oldText, oldOverNew: r.ratio, goal: r.goal, met: r.met, newMedianMs: r.newS?.medianMs ?? null, oldMedianMs: r.oldS?.medianMs ?? null, newOutcome: r.newS?.outcome ?? null, oldOutcome: r.oldS?.outcome ?? null})),
  alone: aloneResult ?? null,
  shapes: shapesResult ?? null,
  validate: validateResult ?? null,
  cli: cliResult ?? null,
}
writeFileSync(path.join(RESULTS, 'resolve.json'), `${JSON.stringify(json, null, 2)}\n`)
log(`wrote ${path.relative(ROOT, path.join(RESULTS, 'resolve.json'))} (total ${((Date.now() - t0) / 1000).toFixed(0)} s)`)
