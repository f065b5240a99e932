// `dep verify` and the install check (bench/README.md, "Issue 12: daily use"), run through
// bench/verify.sh. One workspace of BENCH_EXTENSIONS extensions of BENCH_FILES files each,
// published to a throw-away docker-registry and installed; then, interleaved round-robin:
//  verify    `provisioning dep verify --json` (every file hashed, the pinned layers unpacked
//            into a temp folder and hashed too);
//  sha256sum `find extensions -type f -print0 | xargs -0 sha256sum` over the same files;
//  version   `provisioning --version` (the process start-up every CLI run pays);
//  resolve   `provisioning dep resolve --json` with nothing to do (lock followed, every folder
//            fingerprinted: the cheap check of every run);
//  resolve (old) the same with a build of BENCH_OLD_REF (before the check), on its own
//            identical workspace.
// env (set by verify.sh): BENCH_APP, BENCH_WORK, BENCH_REGISTRY, BENCH_OLD_APP (optional).
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {APP, RESULTS, RUN_JS, hermeticEnv, intEnv, scratchDirs} from './bench-env.mjs'
import {machineInfo, measureWallAndCpu, median, percentile} from './measure.mjs'
import {runProcess} from './pool.mjs'

const WORK = process.env.BENCH_WORK
const REGISTRY = process.env.BENCH_REGISTRY
const OLD_APP = process.env.BENCH_OLD_APP || ''
if (!WORK || !REGISTRY) throw new Error('run through bench/verify.sh (BENCH_WORK or BENCH_REGISTRY is not set)')
const EXTENSIONS = intEnv('BENCH_EXTENSIONS', 30, 1)
const FILES = intEnv('BENCH_FILES', 200, 1)
const FILE_BYTES = intEnv('BENCH_FILE_BYTES', 2048, 1)
const ROUNDS = intEnv('BENCH_ROUNDS', 7, 1)
const WARMUP = intEnv('BENCH_WARMUP', 1, 0)
const log = (line) => process.stderr.write(`bench: ${line}\n`)

const dir = scratchDirs(WORK)
const env = {
  ...hermeticEnv((kind) => dir('xdg', kind)),
  PROVISIONING_HOME: dir('home'),
  PROVISIONING_OCI__TOOL: 'native',
  PROVISIONING_OCI__TLS_ENABLED: 'false',
  PROVISIONING_OCI__REGISTRY: REGISTRY,
  PROVISIONING_OCI__NAMESPACE: 'bench',
  DOCKER_CONFIG: dir('docker'),
  CI: '1',
}
const cli = (app, args, {cwd = dir('cwd'), expect} = {}) => ({command: process.execPath, args: [app === APP ? RUN_JS : path.join(app, 'bin', 'run.js'), ...args], cwd, env, expect})

/** Deterministic text (a small LCG): the same fixtures every run, not compressible to nothing. */
function text(seed, bytes) {
  let x = seed >>> 0
  const words = []
  let length = 0
  while (length < bytes) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    const word = x.toString(36)
    words.push(word)
    length += word.length + 1
  }
  return `${words.join(' ').slice(0, bytes - 1)}\n`
}

function writeFixtures() {
  const folders = []
  for (let e = 0; e < EXTENSIONS; e++) {
    const name = `bench-ext${String(e).padStart(3, '0')}`
    const root = dir('fixtures', name)
    writeFileSync(path.join(root, 'manifest.yaml'), `name: ${name}\ntype: taskserv\nversion: "1.0.0"\ndescription: bench\nlicense: Apache-2.0\n`)
    for (let f = 1; f < FILES; f++) {
      const sub = dir('fixtures', name, `part${f % 10}`)
      writeFileSync(path.join(sub, `file${f}.txt`), text(e * 100_000 + f, FILE_BYTES))
    }
    folders.push(root)
  }
  return folders
}

async function workspace(app, id) {
  const ws = path.join(WORK, 'workspaces', id)
  await runProcess(cli(app, ['workspace', 'init', `bench-${id}`, '--path', ws], {expect: /created workspace/}))
  const names = Array.from({length: EXTENSIONS}, (_, e) => `        - bench-ext${String(e).padStart(3, '0')}`)
  writeFileSync(path.join(ws, 'config', 'provisioning.yaml'), ['workspace: {name: bench}', 'dependencies:', '  extensions:', '    source_type: oci', `    oci: {registry: "${REGISTRY}", namespace: "bench", tls_enabled: false}`, '    modules:', '      taskservs:', ...names, ''].join('\n'))
  const first = JSON.parse(await runProcess(cli(app, ['dep', 'resolve', '--json'], {cwd: ws})))
  if (first.installed.length !== EXTENSIONS) throw new Error(`${id}: installed ${first.installed.length} of ${EXTENSIONS}`)
  return ws
}

const folders = writeFixtures()
log(`${EXTENSIONS} extensions x ${FILES} files of ${FILE_BYTES} bytes; pushing them with one \`oci push DIR...\``)
await runProcess(cli(APP, ['oci', 'push', ...folders, '--json', '--concurrency', '4']))
const ws = await workspace(APP, 'new')
const oldWs = OLD_APP ? await workspace(OLD_APP, 'old') : undefined

const cases = [
  {name: 'verify', ...cli(APP, ['dep', 'verify', '--json'], {cwd: ws, expect: /"clean": ?true/})},
  {name: 'sha256sum', command: 'sh', args: ['-c', 'find extensions -type f -print0 | xargs -0 sha256sum >/dev/null'], cwd: ws, env},
  {name: 'version', ...cli(APP, ['--version'])},
  {name: 'resolve', ...cli(APP, ['dep', 'resolve', '--json'], {cwd: ws, expect: /"followedLock": ?true/})},
  ...(oldWs ? [{name: 'resolve (old)', ...cli(OLD_APP, ['dep', 'resolve', '--json'], {cwd: oldWs, expect: /"followedLock": ?true/})}] : []),
]
// Wall time suffers from whatever else the machine runs (other engineers' test suites: load
// 8-14 while these were taken); the CPU time each process and its children used does not, so
// both are reported, and the ratios are paired per round (each round runs every case once).
log(`measuring ${cases.map((c) => c.name).join(', ')}: ${WARMUP} warm-up + ${ROUNDS} interleaved rounds`)
const {wall, cpu} = measureWallAndCpu(cases, {rounds: ROUNDS, warmup: WARMUP, onRound: (n) => log(`round ${n}/${ROUNDS}`)})

const fmt = (ms) => `${Math.round(ms)} ms`
const paired = (samples, a, b) => median(samples[a].map((x, i) => x / samples[b][i])).toFixed(2)
const row = (c) => `| ${c.name} | ${fmt(median(cpu[c.name]))} | ${fmt(Math.min(...cpu[c.name]))} | ${fmt(median(wall[c.name]))} | ${fmt(percentile(wall[c.name], 10))}–${fmt(percentile(wall[c.name], 90))} |`
console.log(`${EXTENSIONS} extensions x ${FILES} files (${((EXTENSIONS * FILES * FILE_BYTES) / 1e6).toFixed(1)} MB), ${ROUNDS} rounds, load ${machineInfo().loadavg.join(' ')}\n`)
console.log('| case | CPU median | CPU min | wall median | wall p10–p90 |\n|---|---:|---:|---:|---|')
console.log(cases.map(row).join('\n'))
console.log(`\nverify / sha256sum (paired per round): CPU ${paired(cpu, 'verify', 'sha256sum')}x, wall ${paired(wall, 'verify', 'sha256sum')}x`)
const cpuMinusStartup = median(cpu.verify.map((x, i) => (x - cpu.version[i]) / cpu.sha256sum[i])).toFixed(2)
console.log(`verify minus the start-up (--version) / sha256sum, CPU: ${cpuMinusStartup}x`)
if (oldWs) {
  const extra = median(cpu.resolve.map((x, i) => x - cpu['resolve (old)'][i]))
  console.log(`resolve, unchanged, against before (paired per round): CPU ${paired(cpu, 'resolve', 'resolve (old)')}x (${extra >= 0 ? '+' : ''}${fmt(extra)}), wall ${paired(wall, 'resolve', 'resolve (old)')}x`)
}
mkdirSync(RESULTS, {recursive: true})
writeFileSync(path.join(RESULTS, 'verify.json'), JSON.stringify({machine: machineInfo(), extensions: EXTENSIONS, files: FILES, fileBytes: FILE_BYTES, rounds: ROUNDS, wall, cpu}, null, 2))
