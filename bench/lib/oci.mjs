// OCI transfer benchmark: `provisioning oci push/pull` against skopeo (one process per
// artifact), on a local docker-registry, measured side by side in one run (see
// bench/README.md, "OCI transfers"). Run through bench/oci.sh, which starts the registry.
//
// env (set by oci.sh): BENCH_REGISTRY=127.0.0.1:PORT, BENCH_WORK=scratch folder.
// env (user): BENCH_ROUNDS (small artifacts, default 3), BENCH_LARGE_ROUNDS (default 3),
// BENCH_WARMUP (untimed rounds first, default 1), BENCH_COUNT (small artifacts, default 30),
// BENCH_LARGE_MB (default 100), BENCH_PARALLEL (processes at a time, default 4),
// BENCH_BATCH_WIDE (artifacts in flight of the extra batch rows, default 2 × BENCH_PARALLEL; 0: none).
import {spawnSync} from 'node:child_process'
import {mkdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {APP, RESULTS, ROOT, RUN_JS, hermeticEnv, intEnv, scratchDirs} from './bench-env.mjs'
import {childrenCpuMs, processCpuMs} from './cpu.mjs'
import {machineInfo, median} from './measure.mjs'
import {generateExtensions, layoutLayer, loadPush, makeVariant, setVersion, writePayload, writeRandomFile} from './oci-fixtures.mjs'
import {runBatch, runProcess} from './pool.mjs'

const REGISTRY = process.env.BENCH_REGISTRY
// Its CPU time per case (optional: without it the CPU columns show only the client side).
const REGISTRY_PID = Number(process.env.BENCH_REGISTRY_PID) || undefined
const WORK = process.env.BENCH_WORK
if (!REGISTRY || !WORK) throw new Error('run through bench/oci.sh (BENCH_REGISTRY and BENCH_WORK are not set)')
const ROUNDS = intEnv('BENCH_ROUNDS', 3, 1)
const LARGE_ROUNDS = intEnv('BENCH_LARGE_ROUNDS', 3, 0)
const WARMUP = intEnv('BENCH_WARMUP', 1)
const COUNT = intEnv('BENCH_COUNT', 30, 1)
const LARGE_MB = intEnv('BENCH_LARGE_MB', 100, 1)
const PARALLEL = intEnv('BENCH_PARALLEL', 4, 1)
const WIDE = intEnv('BENCH_BATCH_WIDE', 2 * PARALLEL)
const BASE_VERSION = '1.0.0'
// Processes per round of the start-floor cases (`provisioning --version`, `skopeo --version`).
const START_RUNS = 10
const LARGE_NAME = 'bench-large'

const log = (msg) => process.stderr.write(`${msg}\n`)
const dir = scratchDirs(WORK)

// --- environments ---------------------------------------------------------------------
// Ours: hermetic like the startup bench (no user config, plugins or caches), the native
// engine, plain HTTP to the local registry. Skopeo: the caller's environment, as a user runs it.
const oursEnv = hermeticEnv((name) => dir('xdg', name))
Object.assign(oursEnv, {
  PROVISIONING_HOME: dir('homes', 'shared'),
  PROVISIONING_OCI__REGISTRY: REGISTRY,
  PROVISIONING_OCI__TOOL: 'native',
  PROVISIONING_OCI__TLS_ENABLED: 'false',
  CI: '1',
})
const envFor = ({namespace, home, oclif} = {}) => ({
  ...oursEnv,
  ...(oclif ? {PROVISIONING_NO_FAST_PATH: '1'} : {}),
  ...(namespace ? {PROVISIONING_OCI__NAMESPACE: namespace} : {}),
  ...(home ? {PROVISIONING_HOME: home} : {}),
})
const cwd = dir('cwd')
const cli = (args, {expect, ...env} = {}) => ({command: process.execPath, args: [RUN_JS, ...args], cwd, env: envFor(env), expect})
const skopeo = (src, dst) => ({
  command: 'skopeo',
  args: [
    '--insecure-policy',
    'copy',
    ...(src.startsWith('docker://') ? ['--src-tls-verify=false'] : []),
    ...(dst.startsWith('docker://') ? ['--dest-tls-verify=false'] : []),
    src,
    dst,
  ],
  cwd,
  env: process.env,
})
const tarx = (file, into) => ({command: 'tar', args: ['-xzf', file, '-C', into], cwd, env: process.env})
const docker = (ns, name, tag) => `docker://${REGISTRY}/${ns}/${name}:${tag}`
const pushed = /"transferred": 2\b/
const unchanged = /"transferred": 0\b[\s\S]*"skipped": 2\b/
const pulledJson = /"files": \d+/

// --- fixtures -------------------------------------------------------------------------
const t0 = Date.now()
const names = Array.from({length: COUNT}, (_, i) => `bench-${i + 1}`)
const smallTotal = WARMUP + ROUNDS
const largeTotal = LARGE_ROUNDS > 0 ? WARMUP + LARGE_ROUNDS : 0
log(
  `oci bench: registry ${REGISTRY}; ${COUNT} small extensions × ${ROUNDS} rounds, ${LARGE_MB} MB extension × ${LARGE_ROUNDS} rounds, ${WARMUP} warm-up round(s), ${PARALLEL} at a time`,
)
log('fixtures: generating extensions with `provisioning generate extension`')
const smallBase = await generateExtensions(cli, names, dir('fixtures', 'base'))
// 1–16 KiB of random payload each, so sizes and digests differ.
const payloadSize = (i) => 1024 + ((i * 2789) % (15 * 1024))
smallBase.forEach((d, i) => {
  setVersion(d, BASE_VERSION)
  writePayload(d, payloadSize(i))
})
let largeBase
if (LARGE_ROUNDS > 0) {
  ;[largeBase] = await generateExtensions(cli, [LARGE_NAME], dir('fixtures', 'large'))
  setVersion(largeBase, BASE_VERSION)
  writeRandomFile(path.join(largeBase, 'files', 'blob.bin'), LARGE_MB * 1024 * 1024)
  // `oci package` must cope with it (it stores random data instead of deflating it; extraction caps at 512 MiB).
  const out = dir('fixtures', 'package-check')
  await runProcess(cli(['oci', 'package', largeBase, '--output', out], {expect: /wrote /}))
  const size = statSync(path.join(out, `${LARGE_NAME}-${BASE_VERSION}.tar.gz`)).size
  if (size < LARGE_MB * 1024 * 1024) throw new Error(`oci package wrote ${size} bytes for a ${LARGE_MB} MB random payload`)
  log(`fixtures: oci package handles the large extension (${(size / 2 ** 20).toFixed(1)} MiB tar.gz)`)
  rmSync(out, {recursive: true, force: true})
}

// Per case and round, fresh content (unique versions and payloads) pushed to a fresh namespace.
const PUSH_CASES = [
  'push-ours-seq',
  'push-ours-par',
  'push-ours-batch',
  'push-ours-batch-par',
  ...(WIDE > 0 ? ['push-ours-batch-wide'] : []),
  'push-skopeo-seq',
  'push-skopeo-par',
]
const LARGE_PUSH_CASES = ['large-push-ours', 'large-copy-ours', 'large-push-skopeo']
const variantVersion = (caseIndex, round) => `${round + 2}.${caseIndex}.0`
const variants = {} // caseId -> round -> [{dir, name, version}]
PUSH_CASES.forEach((id, k) => {
  variants[id] = Array.from({length: smallTotal}, (_, r) =>
    smallBase.map((base, i) => ({
      name: names[i],
      version: variantVersion(k, r),
      dir: makeVariant(base, path.join(WORK, 'fixtures', id, `r${r}`, names[i]), variantVersion(k, r), payloadSize(i) + r),
    })),
  )
})
LARGE_PUSH_CASES.forEach((id, k) => {
  variants[id] = Array.from({length: largeTotal}, (_, r) => [
    {
      name: LARGE_NAME,
      version: variantVersion(k, r),
      dir: makeVariant(largeBase, path.join(WORK, 'fixtures', id, `r${r}`, LARGE_NAME), variantVersion(k, r), 4096 + r),
    },
  ])
})

// OCI layouts for skopeo (and for our `oci copy` from a layout), written by our push to an
// oci-layout:// store (in this process: the same operation as `oci push`, without 300+ CLI start-ups).
log('fixtures: OCI layouts for skopeo, registry repositories to pull from')
const push = await loadPush(APP)
const LAYOUT_NS = 'x'
const layouts = dir('layouts')
const toLayout = async (store, items) => {
  for (const it of items) await push(it.dir, {env: envFor({namespace: LAYOUT_NS}), registry: `oci-layout://${store}`})
  return (it, scheme = 'oci:') => `${scheme}${path.join(store, LAYOUT_NS, it.name)}:${it.version}`
}
const toRegistry = async (namespace, items) => {
  for (const it of items) await push(it.dir, {env: envFor({namespace})})
}
const smallItems = smallBase.map((d, i) => ({dir: d, name: names[i], version: BASE_VERSION}))
const largeItems = largeBase ? [{dir: largeBase, name: LARGE_NAME, version: BASE_VERSION}] : []
const baseLayout = await toLayout(dir('layouts', 'base'), [...smallItems, ...largeItems])
// One case after the other, the cases side by side (packaging 100 MB is ~3 s of gzip: 2 cores).
const layoutRef = {}
await Promise.all(
  ['push-skopeo-seq', 'push-skopeo-par', 'large-push-skopeo', 'large-copy-ours'].map(async (id) => {
    layoutRef[id] = []
    for (let r = 0; r < variants[id].length; r++) layoutRef[id].push(await toLayout(path.join(layouts, id, `r${r}`), variants[id][r]))
  }),
)
const layerOf = (it) => layoutLayer(path.join(layouts, 'base', LAYOUT_NS, it.name), it.version)
await toRegistry('pullsrc', [...smallItems, ...largeItems])
await toRegistry('unchanged', smallItems)
await runBatch(
  smallItems.map((it) => skopeo(baseLayout(it), docker('unchanged-skopeo', it.name, it.version))),
  2,
)
log(`fixtures: ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`)

// --- cases ----------------------------------------------------------------------------
// run(r) -> {jobs, parallel, after?}: what round r (warm-up rounds included) executes.
const fresh = (...p) => {
  const d = path.join(WORK, 'runs', ...p)
  rmSync(d, {recursive: true, force: true})
  mkdirSync(d, {recursive: true})
  return d
}
const wipe =
  (...p) =>
  () =>
    rmSync(path.join(WORK, 'runs', ...p), {recursive: true, force: true})
const ns = (id, r) => `r${r}-${id}`

const oursPush = (id) => (r) => variants[id][r].map((it) => cli(['oci', 'push', it.dir, '--json'], {namespace: ns(id, r), expect: pushed}))
const skopeoPush = (id) => (r) => variants[id][r].map((it) => skopeo(layoutRef[id][r](it), docker(ns(id, r), it.name, it.version)))
const oursPull = (id, items) => (r) => {
  const home = fresh(id, `r${r}`, 'home') // cold cache
  const out = fresh(id, `r${r}`, 'out')
  return items.map((it) =>
    cli(['oci', 'pull', `${it.name}:${it.version}`, '--output', path.join(out, it.name), '--json'], {namespace: 'pullsrc', home, expect: pulledJson}),
  )
}
const skopeoPull = (id, items, extract) => (r) => {
  const out = fresh(id, `r${r}`)
  mkdirSync(path.join(out, 'layouts'))
  return items.map((it) => {
    const copy = skopeo(docker('pullsrc', it.name, it.version), `oci:${path.join(out, 'layouts', it.name)}:${it.version}`)
    if (!extract) return copy
    const into = path.join(out, 'files', it.name)
    mkdirSync(into, {recursive: true})
    return [copy, tarx(path.join(out, 'layouts', it.name, 'blobs', 'sha256', layerOf(it).digest.replace(/^sha256:/, '')), into)]
  })
}

const P = PARALLEL
// Batch rows: sequential, P at a time, and (unless BENCH_BATCH_WIDE=0) WIDE at a time.
const batchWidths = [1, P, ...(WIDE > 0 ? [WIDE] : [])]
const batchId = (op, inFlight) => `${op}-ours-batch${inFlight === 1 ? '' : inFlight === P ? '-par' : '-wide'}`
const smallCases = [
  {
    id: 'start-ours',
    side: 'ours',
    procs: START_RUNS,
    // Through oclif, as every transfer command starts: `--version` alone takes a fast path that
    // loads no oclif (bin/run.js), which would understate the floor and overstate our engine.
    label: `provisioning --version ×${START_RUNS} through oclif, sequential (process start floor)`,
    run: () => ({jobs: Array.from({length: START_RUNS}, () => cli(['--version'], {expect: /^provisioning\//, oclif: true}))}),
  },
  {
    id: 'start-skopeo',
    side: 'skopeo',
    procs: START_RUNS,
    label: `skopeo --version ×${START_RUNS}, sequential (process start floor)`,
    run: () => ({jobs: Array.from({length: START_RUNS}, () => ({command: 'skopeo', args: ['--version'], cwd, env: process.env, expect: /^skopeo version/}))}),
  },
  {id: 'push-ours-seq', side: 'ours', label: `push ×${COUNT}: provisioning, 1 process each, sequential`, run: (r) => ({jobs: oursPush('push-ours-seq')(r)})},
  {
    id: 'push-ours-par',
    overlapping: true,
    side: 'ours',
    label: `push ×${COUNT}: provisioning, 1 process each, ${P} at a time`,
    run: (r) => ({jobs: oursPush('push-ours-par')(r), parallel: P}),
  },
  ...batchWidths.map((inFlight) => {
    const id = batchId('push', inFlight)
    return {
      id,
      side: 'ours',
      procs: 1,
      label: `push ×${COUNT}: provisioning oci push DIR... (1 process), ${inFlight === 1 ? 'sequential' : `${inFlight} at a time`}`,
      run: (r) => ({
        jobs: [
          cli(['oci', 'push', ...variants[id][r].map((it) => it.dir), '--json', '--concurrency', String(inFlight)], {namespace: ns(id, r), expect: pushed}),
        ],
      }),
    }
  }),
  {
    id: 'push-skopeo-seq',
    side: 'skopeo',
    label: `push ×${COUNT}: skopeo copy, 1 process each, sequential`,
    run: (r) => ({jobs: skopeoPush('push-skopeo-seq')(r)}),
  },
  {
    id: 'push-skopeo-par',
    overlapping: true,
    side: 'skopeo',
    label: `push ×${COUNT}: skopeo copy, 1 process each, ${P} at a time`,
    run: (r) => ({jobs: skopeoPush('push-skopeo-par')(r), parallel: P}),
  },
  {
    id: 'repush-ours-seq',
    side: 'ours',
    label: `re-push ×${COUNT} unchanged: provisioning, sequential`,
    run: () => ({jobs: smallItems.map((it) => cli(['oci', 'push', it.dir, '--json'], {namespace: 'unchanged', expect: unchanged}))}),
  },
  {
    id: 'repush-skopeo-seq',
    side: 'skopeo',
    label: `re-push ×${COUNT} unchanged: skopeo copy, sequential`,
    run: () => ({jobs: smallItems.map((it) => skopeo(baseLayout(it), docker('unchanged-skopeo', it.name, it.version)))}),
  },
  {
    id: 'pull-ours-seq',
    side: 'ours',
    label: `pull ×${COUNT}: provisioning (cold cache, unpacked), sequential`,
    run: (r) => ({jobs: oursPull('pull-ours-seq', smallItems)(r), after: wipe('pull-ours-seq')}),
  },
  {
    id: 'pull-ours-par',
    overlapping: true,
    side: 'ours',
    label: `pull ×${COUNT}: provisioning (cold cache, unpacked), ${P} at a time`,
    run: (r) => ({jobs: oursPull('pull-ours-par', smallItems)(r), parallel: P, after: wipe('pull-ours-par')}),
  },
  ...batchWidths.map((inFlight) => {
    const id = batchId('pull', inFlight)
    return {
      id,
      side: 'ours',
      procs: 1,
      label: `pull ×${COUNT}: provisioning oci pull REF... (1 process, cold cache, unpacked), ${inFlight === 1 ? 'sequential' : `${inFlight} at a time`}`,
      run: (r) => {
        const home = fresh(id, `r${r}`, 'home')
        const out = fresh(id, `r${r}`, 'out')
        const refs = smallItems.map((it) => `${it.name}:${it.version}`)
        return {
          jobs: [cli(['oci', 'pull', ...refs, '--output', out, '--json', '--concurrency', String(inFlight)], {namespace: 'pullsrc', home, expect: pulledJson})],
          after: wipe(id),
        }
      },
    }
  }),
  {
    id: 'pull-skopeo-seq',
    side: 'skopeo',
    label: `pull ×${COUNT}: skopeo copy to oci: layout, sequential`,
    run: (r) => ({jobs: skopeoPull('pull-skopeo-seq', smallItems, false)(r), after: wipe('pull-skopeo-seq')}),
  },
  {
    id: 'pull-skopeo-par',
    overlapping: true,
    side: 'skopeo',
    label: `pull ×${COUNT}: skopeo copy to oci: layout, ${P} at a time`,
    run: (r) => ({jobs: skopeoPull('pull-skopeo-par', smallItems, false)(r), parallel: P, after: wipe('pull-skopeo-par')}),
  },
  {
    id: 'pull-skopeo-tar-seq',
    side: 'skopeo',
    label: `pull ×${COUNT}: skopeo copy + tar -xzf, sequential`,
    run: (r) => ({jobs: skopeoPull('pull-skopeo-tar-seq', smallItems, true)(r), after: wipe('pull-skopeo-tar-seq')}),
  },
]
const largeCases =
  LARGE_ROUNDS === 0
    ? []
    : [
        {id: 'large-push-ours', procs: 1, side: 'ours', label: `push ${LARGE_MB} MB: provisioning`, run: (r) => ({jobs: oursPush('large-push-ours')(r)})},
        {
          id: 'large-copy-ours',
          side: 'ours',
          procs: 1,
          label: `push ${LARGE_MB} MB: provisioning oci copy from an OCI layout (already packaged, like skopeo)`,
          run: (r) => ({
            jobs: variants['large-copy-ours'][r].map((it) =>
              cli(
                [
                  'oci',
                  'copy',
                  layoutRef['large-copy-ours'][r](it, 'oci-layout://'),
                  `oci://${REGISTRY}/${ns('large-copy-ours', r)}/${it.name}:${it.version}`,
                  '--json',
                ],
                {expect: pushed},
              ),
            ),
          }),
        },
        {
          id: 'large-push-skopeo',
          procs: 1,
          side: 'skopeo',
          label: `push ${LARGE_MB} MB: skopeo copy from an OCI layout`,
          run: (r) => ({jobs: skopeoPush('large-push-skopeo')(r)}),
        },
        {
          id: 'large-pull-ours',
          procs: 1,
          side: 'ours',
          label: `pull ${LARGE_MB} MB: provisioning (cold cache, unpacked)`,
          run: (r) => ({jobs: oursPull('large-pull-ours', largeItems)(r), after: wipe('large-pull-ours')}),
        },
        {
          id: 'large-pull-skopeo',
          procs: 1,
          side: 'skopeo',
          label: `pull ${LARGE_MB} MB: skopeo copy to oci: layout`,
          run: (r) => ({jobs: skopeoPull('large-pull-skopeo', largeItems, false)(r), after: wipe('large-pull-skopeo')}),
        },
        {
          id: 'large-pull-skopeo-tar',
          procs: 1,
          side: 'skopeo',
          label: `pull ${LARGE_MB} MB: skopeo copy + tar -xzf`,
          run: (r) => ({jobs: skopeoPull('large-pull-skopeo-tar', largeItems, true)(r), after: wipe('large-pull-skopeo-tar')}),
        },
      ]

// --- measure: interleaved rounds, the first case rotating, warm-up rounds untimed ----------
// A warm-up round runs only the first WARMUP_JOBS processes of each case: enough to load the
// page cache and wake the registry, without doubling the run time.
const WARMUP_JOBS = 5
const cpuSamples = {} // case id -> [{client, registry}] per timed round
async function measure(group, cases, total) {
  const samples = Object.fromEntries(cases.map((c) => [c.id, []]))
  for (let r = 0; r < total; r++) {
    const warm = r < WARMUP
    const times = []
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(r + k) % cases.length]
      const {jobs, parallel = 1, after} = c.run(r)
      const cpuBefore = {client: childrenCpuMs(), registry: REGISTRY_PID ? processCpuMs(REGISTRY_PID) : 0}
      const ms = await runBatch(warm ? jobs.slice(0, WARMUP_JOBS) : jobs, parallel)
      const cpu = {client: childrenCpuMs() - cpuBefore.client, registry: REGISTRY_PID ? processCpuMs(REGISTRY_PID) - cpuBefore.registry : null}
      after?.()
      if (!warm) {
        samples[c.id].push(ms)
        cpuSamples[c.id] ??= []
        cpuSamples[c.id].push(cpu)
      }
      times.push(`${c.id} ${(ms / 1000).toFixed(2)}s`)
    }
    log(`${group}: ${warm ? `warm-up ${r + 1}/${WARMUP}` : `round ${r - WARMUP + 1}/${total - WARMUP}`}: ${times.join(', ')}`)
  }
  return samples
}

const machine = machineInfo()
log(`measuring; node ${machine.node}, ${machine.cpus} cpus, load ${machine.loadavg.join(' ')}`)
const samples = {...(await measure('small', smallCases, smallTotal)), ...(await measure('large', largeCases, largeTotal))}
const loadAfter = os.loadavg().map((x) => Number(x.toFixed(2)))

// --- report ---------------------------------------------------------------------------
const allCases = [...smallCases, ...largeCases]
const stats = Object.fromEntries(
  allCases.map((c) => {
    const xs = samples[c.id]
    return [c.id, {median: median(xs), min: Math.min(...xs), max: Math.max(...xs)}]
  }),
)
const GOAL_SMALL = 3
const GOAL_LARGE = 1
// Processes of the tool itself a case starts (tar in the skopeo + tar rows is not counted).
const procsOf = (id) => allCases.find((c) => c.id === id).procs ?? COUNT
const overlapsStarts = (id) => allCases.find((c) => c.id === id).overlapping === true
// What starting one process costs each tool before it does any work (the `--version` cases).
const startFloor = {ours: stats['start-ours'].median / START_RUNS, skopeo: stats['start-skopeo'].median / START_RUNS}
/**
 * skopeo / provisioning with each tool's process starts taken out: the work itself. Only
 * where each side starts its processes one after the other (overlapping starts do not add
 * up), and only where the rest is a real part of the time (≥ 20 %), else the ratio is noise.
 */
function startRemovedRatio(ours, theirs) {
  const rest = (id) => {
    const left = engineMs(id)
    return overlapsStarts(id) || left < 0.2 * stats[id].median ? null : left
  }
  const a = rest(ours)
  const b = rest(theirs)
  return a === null || b === null ? null : b / a
}
/** A case's median with its tool's process starts (processes × start floor) taken out. */
function engineMs(id) {
  const c = allCases.find((x) => x.id === id)
  return stats[id].median - procsOf(id) * startFloor[c.side]
}
const medianCpu = (id, side) => {
  const xs = (cpuSamples[id] ?? []).map((x) => x[side]).filter((x) => x !== null)
  return xs.length ? median(xs) : null
}
const comparisons = [
  ['push ×N small, 1 process per artifact, both sequential', 'push-ours-seq', 'push-skopeo-seq', GOAL_SMALL],
  [`push ×N small, provisioning ${P} at a time vs skopeo sequential`, 'push-ours-par', 'push-skopeo-seq', GOAL_SMALL],
  [`push ×N small, both ${P} at a time`, 'push-ours-par', 'push-skopeo-par'],
  ['push ×N small, provisioning oci push DIR... sequential vs skopeo 1 process each', 'push-ours-batch', 'push-skopeo-seq', GOAL_SMALL],
  [`push ×N small, provisioning oci push DIR... ${P} at a time vs skopeo 1 process each`, 'push-ours-batch-par', 'push-skopeo-seq', GOAL_SMALL],
  ...(WIDE > 0
    ? [[`push ×N small, provisioning oci push DIR... --concurrency ${WIDE} vs skopeo 1 process each`, 'push-ours-batch-wide', 'push-skopeo-seq', GOAL_SMALL]]
    : []),
  ['re-push ×N unchanged, both sequential', 'repush-ours-seq', 'repush-skopeo-seq'],
  ['pull ×N small, both sequential (skopeo: layout only)', 'pull-ours-seq', 'pull-skopeo-seq', GOAL_SMALL],
  ['pull ×N small, both sequential (skopeo: + tar -xzf)', 'pull-ours-seq', 'pull-skopeo-tar-seq', GOAL_SMALL],
  [`pull ×N small, provisioning ${P} at a time vs skopeo sequential`, 'pull-ours-par', 'pull-skopeo-seq', GOAL_SMALL],
  [`pull ×N small, both ${P} at a time`, 'pull-ours-par', 'pull-skopeo-par'],
  ['pull ×N small, provisioning oci pull REF... sequential vs skopeo 1 process each', 'pull-ours-batch', 'pull-skopeo-seq', GOAL_SMALL],
  [`pull ×N small, provisioning oci pull REF... ${P} at a time vs skopeo 1 process each`, 'pull-ours-batch-par', 'pull-skopeo-seq', GOAL_SMALL],
  ...(WIDE > 0
    ? [[`pull ×N small, provisioning oci pull REF... --concurrency ${WIDE} vs skopeo 1 process each`, 'pull-ours-batch-wide', 'pull-skopeo-seq', GOAL_SMALL]]
    : []),
  // Like for like: our pull unpacks, so skopeo's artifacts are unpacked too.
  [`pull ×N small, provisioning oci pull REF... ${P} at a time vs skopeo + tar -xzf, 1 process each`, 'pull-ours-batch-par', 'pull-skopeo-tar-seq', GOAL_SMALL],
  ...(WIDE > 0
    ? [
        [
          `pull ×N small, provisioning oci pull REF... --concurrency ${WIDE} vs skopeo + tar -xzf, 1 process each`,
          'pull-ours-batch-wide',
          'pull-skopeo-tar-seq',
          GOAL_SMALL,
        ],
      ]
    : []),
  ...(largeCases.length
    ? [
        [`push ${LARGE_MB} MB (provisioning: oci push = package + upload)`, 'large-push-ours', 'large-push-skopeo', GOAL_LARGE],
        [`push ${LARGE_MB} MB from an OCI layout (provisioning: oci copy)`, 'large-copy-ours', 'large-push-skopeo', GOAL_LARGE],
        [`pull ${LARGE_MB} MB (skopeo: layout only)`, 'large-pull-ours', 'large-pull-skopeo', GOAL_LARGE],
        [`pull ${LARGE_MB} MB (skopeo: + tar -xzf)`, 'large-pull-ours', 'large-pull-skopeo-tar', GOAL_LARGE],
      ]
    : []),
].map(([op, ours, theirs, goal]) => {
  const a = samples[ours]
  const b = samples[theirs]
  const n = Math.min(a.length, b.length)
  return {
    operation: op.replace('×N', `×${COUNT}`),
    ours,
    skopeo: theirs,
    oursMedianMs: stats[ours].median,
    skopeoMedianMs: stats[theirs].median,
    ratio: stats[theirs].median / stats[ours].median,
    pairedRatio: median(Array.from({length: n}, (_, i) => b[i] / a[i])),
    goal: goal ?? null,
    meetsGoal: goal === undefined ? null : stats[theirs].median / stats[ours].median >= goal,
    // The same ratio with each tool's process start floor taken out: the work itself.
    startRemovedRatio: startRemovedRatio(ours, theirs),
  }
})

// Issue 16: issue 3's transfer goals restated per artifact, each tool's process starts taken
// out. (a) the small pushes by one provisioning process (`oci push DIR...`) against skopeo's
// one process per artifact; (b) the 100 MB push. The engine ratio is the "start floor removed"
// column of the same row above, here without its 20 % cut-off and with the goal judged on it.
const restatedGoals = [
  ...batchWidths.map((inFlight) => [
    'a',
    `push ×${COUNT} small: provisioning oci push DIR... (1 process) --concurrency ${inFlight} vs skopeo copy, 1 process each, sequential`,
    batchId('push', inFlight),
    'push-skopeo-seq',
    COUNT,
    GOAL_SMALL,
  ]),
  ...(largeCases.length
    ? [
        [
          'b',
          `push ${LARGE_MB} MB: provisioning oci push (package + upload) vs skopeo copy from an OCI layout`,
          'large-push-ours',
          'large-push-skopeo',
          1,
          GOAL_LARGE,
        ],
        [
          'b',
          `push ${LARGE_MB} MB: provisioning oci copy from an OCI layout vs skopeo copy from an OCI layout`,
          'large-copy-ours',
          'large-push-skopeo',
          1,
          GOAL_LARGE,
        ],
      ]
    : []),
].map(([goalId, operation, ours, theirs, artifacts, goal]) => {
  const oursEngine = engineMs(ours)
  const skopeoEngine = engineMs(theirs)
  // A non-positive rest means the floor swallowed the case: no ratio to speak of.
  const engineRatio = oursEngine > 0 && skopeoEngine > 0 ? skopeoEngine / oursEngine : null
  return {
    goalId,
    operation,
    ours,
    skopeo: theirs,
    artifacts,
    processes: {ours: procsOf(ours), skopeo: procsOf(theirs)},
    oursEngineMsPerArtifact: oursEngine / artifacts,
    skopeoEngineMsPerArtifact: skopeoEngine / artifacts,
    engineRatio,
    goal,
    meetsGoal: engineRatio === null ? null : engineRatio >= goal,
    oursWholeMsPerArtifact: stats[ours].median / artifacts,
    skopeoWholeMsPerArtifact: stats[theirs].median / artifacts,
    wholeRatio: stats[theirs].median / stats[ours].median,
    // Where the floors are most of the time, the rest (and so the ratio) is mostly noise.
    engineShareOfWhole: {ours: oursEngine / stats[ours].median, skopeo: skopeoEngine / stats[theirs].median},
  }
})

const sec = (ms) => (ms / 1000).toFixed(2)
const lines = [
  '| Operation | provisioning median s | skopeo median s | skopeo / provisioning (medians) | (paired) | goal | start floor removed |',
  '| --- | ---: | ---: | ---: | ---: | --- | ---: |',
  ...comparisons.map(
    (c) =>
      `| ${c.operation} | ${sec(c.oursMedianMs)} | ${sec(c.skopeoMedianMs)} | **${c.ratio.toFixed(2)}×** | ${c.pairedRatio.toFixed(2)}× | ${c.goal === null ? '—' : `≥ ${c.goal}×: ${c.meetsGoal ? 'met' : 'NOT met'}`} | ${c.startRemovedRatio === null ? '—' : `${c.startRemovedRatio.toFixed(2)}×`} |`,
  ),
  '',
  `Process start floor (median of ${START_RUNS} sequential \`--version\` runs, per process; ours through oclif, as transfer commands start): provisioning ${startFloor.ours.toFixed(0)} ms, skopeo ${startFloor.skopeo.toFixed(0)} ms. ` +
    '"start floor removed" = (skopeo − its processes × its floor) / (provisioning − its processes × its floor); "—" where starts overlap or the rest is under 20 % of the time. The tar processes of the "+ tar" rows are not taken out.',
  '',
  '### Issue 16: transfer goals per artifact, process start floors removed',
  '',
  '| Goal | Operation | provisioning engine ms / artifact | skopeo engine ms / artifact | engine ratio (skopeo / provisioning) | goal | whole-process ms / artifact (provisioning, skopeo) | whole-process ratio |',
  '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |',
  ...restatedGoals.map(
    (g) =>
      `| (${g.goalId}) | ${g.operation} | ${g.oursEngineMsPerArtifact.toFixed(1)} | ${g.skopeoEngineMsPerArtifact.toFixed(1)} | ${g.engineRatio === null ? '—' : `**${g.engineRatio.toFixed(2)}×**`} | ≥ ${g.goal}×: ${g.meetsGoal === null ? '—' : g.meetsGoal ? 'ok' : 'short'} | ${g.oursWholeMsPerArtifact.toFixed(1)}, ${g.skopeoWholeMsPerArtifact.toFixed(1)} | ${g.wholeRatio.toFixed(2)}× |`,
  ),
  '',
  `Engine cost per artifact = (median − processes × that tool's start floor) / artifacts: provisioning 1 process per batch, skopeo 1 process per artifact; floors ${startFloor.ours.toFixed(0)} ms and ${startFloor.skopeo.toFixed(0)} ms as above.`,
  '',
  '| Case | median s | min s | max s | median per artifact ms | client CPU s | registry CPU s | cores busy |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...allCases.map((c) => {
    const s = stats[c.id]
    const per = c.id.startsWith('large') ? 1 : c.id.startsWith('start') ? START_RUNS : COUNT
    const client = medianCpu(c.id, 'client')
    const registry = medianCpu(c.id, 'registry')
    const busy = client === null ? '—' : ((client + (registry ?? 0)) / s.median).toFixed(2)
    return `| ${c.label} | ${sec(s.median)} | ${sec(s.min)} | ${sec(s.max)} | ${(s.median / per).toFixed(0)} | ${client === null ? '—' : sec(client)} | ${registry === null ? '—' : sec(registry)} | ${busy} |`
  }),
  '',
  `${ROUNDS} rounds (${LARGE_ROUNDS} for ${LARGE_MB} MB) after ${WARMUP} warm-up round(s), interleaved; node ${machine.node}, ${machine.platform}, ` +
    `${machine.cpus} × ${machine.cpuModel}; load ${machine.loadavg.join(' ')} before, ${loadAfter.join(' ')} after.`,
]
console.log(lines.join('\n'))

const version = (cmd, args) => spawnSync(cmd, args, {encoding: 'utf8'}).stdout?.trim() ?? 'unknown'
mkdirSync(RESULTS, {recursive: true})
const json = {
  date: new Date().toISOString(),
  machine: {...machine, loadavgAfter: loadAfter},
  code: {commit: version('git', ['-C', ROOT, 'rev-parse', 'HEAD']), srcChanged: version('git', ['-C', ROOT, 'status', '--porcelain', 'src']) !== ''},
  tools: {skopeo: version('skopeo', ['--version']), registry: version('docker-registry', ['--version'])},
  settings: {rounds: ROUNDS, largeRounds: LARGE_ROUNDS, warmup: WARMUP, count: COUNT, largeMb: LARGE_MB, parallel: PARALLEL, batchWide: WIDE},
  comparisons,
  restatedGoals,
  startFloorMs: startFloor,
  cases: allCases.map((c) => ({
    id: c.id,
    side: c.side,
    label: c.label,
    processes: procsOf(c.id),
    ...stats[c.id],
    samplesMs: samples[c.id].map((x) => Number(x.toFixed(1))),
    cpuMs: cpuSamples[c.id] ?? [],
  })),
}
writeFileSync(path.join(RESULTS, 'oci.json'), `${JSON.stringify(json, null, 2)}\n`)
log(`wrote ${path.relative(ROOT, path.join(RESULTS, 'oci.json'))} (total ${((Date.now() - t0) / 1000).toFixed(0)} s)`)
