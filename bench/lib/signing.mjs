// Cost of signature verification in `dep resolve` (bench/README.md, "Issue 14"), run through
// bench/signing.sh. BENCH_EXTENSIONS small extensions pushed to a throw-away docker-registry and
// signed with one key (`oci key generate`, `oci sign`); three identical workspaces installed
// once; then interleaved rounds of `dep resolve --json` following the lock, everything installed:
//  off     verification off (oci.verify_signatures=false): the floor;
//  cached  verification on, every (manifest digest, key) pair in the verification cache;
//  cold    verification on, the verification cache removed before each run: each signature is
//          listed, fetched and checked against the registry;
//  version `provisioning --version`.
// env (set by signing.sh): BENCH_APP, BENCH_WORK, BENCH_REGISTRY.
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {RESULTS, RUN_JS, hermeticEnv, intEnv, scratchDirs} from './bench-env.mjs'
import {machineInfo, measureWallAndCpu, median, percentile} from './measure.mjs'
import {generateExtensions} from './oci-fixtures.mjs'
import {runProcess} from './pool.mjs'

const WORK = process.env.BENCH_WORK
const REGISTRY = process.env.BENCH_REGISTRY
if (!WORK || !REGISTRY) throw new Error('run through bench/signing.sh (BENCH_WORK or BENCH_REGISTRY is not set)')
const EXTENSIONS = intEnv('BENCH_EXTENSIONS', 30, 1)
const ROUNDS = intEnv('BENCH_ROUNDS', 9, 1)
const WARMUP = intEnv('BENCH_WARMUP', 1, 0)
const ASSERT = process.env.BENCH_ASSERT === '1'
const GOAL_MS = 5
const PASSPHRASE = 'bench-passphrase'
const log = (line) => process.stderr.write(`bench: ${line}\n`)

const dir = scratchDirs(WORK)
const home = dir('home')
const env = {
  ...hermeticEnv((kind) => dir('xdg', kind)),
  PROVISIONING_HOME: home,
  PROVISIONING_OCI__TOOL: 'native',
  PROVISIONING_OCI__TLS_ENABLED: 'false',
  PROVISIONING_OCI__REGISTRY: REGISTRY,
  PROVISIONING_OCI__NAMESPACE: 'bench',
  DOCKER_CONFIG: dir('docker'),
  PROVISIONING_SIGNING_PASSWORD: PASSPHRASE,
  CI: '1',
}
const cli = (args, {cwd = dir('cwd'), expect} = {}) => ({command: process.execPath, args: [RUN_JS, ...args], cwd, env, expect})
const names = Array.from({length: EXTENSIONS}, (_, e) => `sig-ext${String(e).padStart(3, '0')}`)

log(`${EXTENSIONS} extensions: generating, pushing (one batch) and signing them`)
const folders = await generateExtensions(cli, names, dir('fixtures'))
await runProcess(cli(['oci', 'push', ...folders, '--json', '--concurrency', '4']))
const keys = dir('keys')
await runProcess(cli(['oci', 'key', 'generate', '--output', keys, '--json']))
const privateKey = path.join(keys, 'provisioning.key')
const publicKey = path.join(keys, 'provisioning.pub')
for (const name of names) await runProcess(cli(['oci', 'sign', `${name}:0.1.0`, '--key', privateKey, '--json']))

/** A workspace declaring every extension, with verification on or off, installed once. */
async function workspace(id, verify) {
  const ws = path.join(WORK, 'workspaces', id)
  await runProcess(cli(['workspace', 'init', `bench-${id}`, '--path', ws], {expect: /created workspace/}))
  const lines = [
    'workspace: {name: bench}',
    `oci: {verify_signatures: ${verify}, trusted_keys: ["${publicKey}"]}`,
    'dependencies:',
    '  extensions:',
    '    source_type: oci',
    `    oci: {registry: "${REGISTRY}", namespace: "bench", tls_enabled: false}`,
    '    modules:',
    '      taskservs:',
    ...names.map((name) => `        - ${name}`),
    '',
  ]
  writeFileSync(path.join(ws, 'config', 'provisioning.yaml'), lines.join('\n'))
  const first = JSON.parse(await runProcess(cli(['dep', 'resolve', '--json'], {cwd: ws})))
  if (first.installed.length !== EXTENSIONS) throw new Error(`${id}: installed ${first.installed.length} of ${EXTENSIONS}`)
  return ws
}
const off = await workspace('off', false)
const cached = await workspace('cached', true)
const cold = await workspace('cold', true)
const signatureCache = path.join(home, 'cache', 'oci', 'signatures')

const resolve = (ws) => cli(['dep', 'resolve', '--json'], {cwd: ws, expect: /"followedLock": ?true/})
const cases = [
  {name: 'off', ...resolve(off)},
  {name: 'cached', ...resolve(cached)},
  {name: 'cold', ...resolve(cold), before: () => rmSync(signatureCache, {recursive: true, force: true})},
  {name: 'version', ...cli(['--version'])},
]

// Wall time suffers from whatever else the machine runs; CPU time (the process and its
// children) much less, so both are reported, and the costs are paired per round.
log(`measuring ${cases.map((c) => c.name).join(', ')}: ${WARMUP} warm-up + ${ROUNDS} interleaved rounds`)
const {wall, cpu} = measureWallAndCpu(cases, {rounds: ROUNDS, warmup: WARMUP, onRound: (n) => log(`round ${n}/${ROUNDS}`)})

const fmt = (ms) => `${Math.round(ms)} ms`
const perArtifact = (samples, name) => median(samples[name].map((x, i) => (x - samples.off[i]) / EXTENSIONS))
const row = (c) => `| ${c.name} | ${fmt(median(cpu[c.name]))} | ${fmt(median(wall[c.name]))} | ${fmt(percentile(wall[c.name], 10))}–${fmt(percentile(wall[c.name], 90))} |`
console.log(`${EXTENSIONS} signed extensions, ${ROUNDS} rounds, load ${machineInfo().loadavg.join(' ')}\n`)
console.log('| dep resolve (lock followed) | CPU median | wall median | wall p10–p90 |\n|---|---:|---:|---|')
console.log(cases.map(row).join('\n'))
const cachedCpu = perArtifact(cpu, 'cached')
console.log(`\nverification per artifact, minus "off" (paired per round), median:`)
console.log(`  cached: CPU ${cachedCpu.toFixed(2)} ms, wall ${perArtifact(wall, 'cached').toFixed(2)} ms (goal < ${GOAL_MS} ms)`)
console.log(`  cold:   CPU ${perArtifact(cpu, 'cold').toFixed(2)} ms, wall ${perArtifact(wall, 'cold').toFixed(2)} ms (listing, fetching and checking each signature)`)
mkdirSync(RESULTS, {recursive: true})
writeFileSync(path.join(RESULTS, 'signing.json'), JSON.stringify({machine: machineInfo(), extensions: EXTENSIONS, rounds: ROUNDS, wall, cpu}, null, 2))
if (ASSERT && !(cachedCpu < GOAL_MS)) {
  console.error(`bench: the cached verification costs ${cachedCpu.toFixed(2)} ms per artifact (CPU), goal < ${GOAL_MS} ms`)
  process.exit(1)
}
