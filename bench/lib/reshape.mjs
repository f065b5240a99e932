// Before/after of a reshaping (bench/reshape.sh): the daily commands of two builds, measured
// interleaved round-robin (measure.mjs) against one local docker-registry. Each side has its
// own PROVISIONING_HOME (blob cache, index cache), so neither warms the other's cache.
//
// env (set by reshape.sh): BENCH_REGISTRY, BENCH_WORK, BENCH_APP (new side), BENCH_OLD_APP, BENCH_OLD_REF.
// env (user): BENCH_RUNS (default 8), BENCH_WARMUP (default 1), BENCH_LARGE_MB (default 24), BENCH_DEPS (default 12).
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {APP, RESULTS, hermeticEnv, intEnv, scratchDirs} from './bench-env.mjs'
import {machineInfo, measureInterleaved, summarize} from './measure.mjs'
import {generateExtensions, setVersion, writePayload, writeRandomFile} from './oci-fixtures.mjs'
import {runProcess} from './pool.mjs'
import {makeWorkspace} from './resolve-fixtures.mjs'

const {BENCH_REGISTRY: REGISTRY, BENCH_WORK: WORK, BENCH_OLD_APP: OLD_APP, BENCH_OLD_REF: OLD_REF} = process.env
if (!REGISTRY || !WORK || !OLD_APP) throw new Error('run through bench/reshape.sh')
const RUNS = intEnv('BENCH_RUNS', 8, 1)
const WARMUP = intEnv('BENCH_WARMUP', 1)
const LARGE_MB = intEnv('BENCH_LARGE_MB', 24, 1)
const DEPS = intEnv('BENCH_DEPS', 12, 1)
const NAMESPACE = 'reshape'
const log = (msg) => process.stderr.write(`${msg}\n`)
const dir = scratchDirs(WORK)

const sides = {new: APP, old: OLD_APP}
const baseEnv = hermeticEnv((name) => dir('xdg', name))
const envOf = (side) => ({
  ...baseEnv,
  PROVISIONING_HOME: dir('homes', side),
  PROVISIONING_OCI__REGISTRY: REGISTRY,
  PROVISIONING_OCI__NAMESPACE: NAMESPACE,
  PROVISIONING_OCI__TOOL: 'native',
  PROVISIONING_OCI__TLS_ENABLED: 'false',
  CI: '1',
})
const cliOf = (side) => (args, {expect, cwd} = {}) => ({command: process.execPath, args: [path.join(sides[side], 'bin', 'run.js'), ...args], cwd: cwd ?? dir('cwd', side), env: envOf(side), expect})
/** A command run after `rm -rf` of the given folders (a cold cache, an empty output), both timed alike on both sides. */
const afterRemoving = (c, folders) => ({...c, command: 'sh', args: ['-c', `rm -rf ${folders.map((f) => `'${f}'`).join(' ')} && exec "$0" "$@"`, c.command, ...c.args]})

// --- fixtures: pushed once by the new side ----------------------------------------------
const t0 = Date.now()
const cli = cliOf('new')
const names = Array.from({length: DEPS}, (_, i) => `reshape-${i + 1}`)
const small = await generateExtensions(cli, [...names, 'reshape-large'], dir('fixtures'))
for (const [i, folder] of small.entries()) {
  setVersion(folder, '1.0.0')
  writePayload(folder, 1024 * (1 + (i % 16)))
}
const large = small.at(-1)
writeRandomFile(path.join(large, 'files', 'large.bin'), LARGE_MB * 1024 * 1024)
await runProcess(cli(['oci', 'push', ...small, '--json'], {expect: /"pushed"/}))
const workspace = await makeWorkspace(cli, dir('workspace'), [
  'dependencies:', '  extensions:', '    source_type: oci',
  `    oci: {registry: "${REGISTRY}", namespace: "${NAMESPACE}", tls_enabled: false}`,
  '    modules:', '      providers: []', '      taskservs:', ...names.map((n) => `        - {name: ${n}, version: "^1.0.0"}`), '      clusters: []', '',
].join('\n'))
// One workspace per side (each resolves and installs into its own copy).
const workspaces = {}
for (const side of Object.keys(sides)) {
  workspaces[side] = dir('ws', side)
  await runProcess({command: 'cp', args: ['-R', `${workspace}/.`, workspaces[side]], env: process.env})
}
log(`reshape bench: fixtures in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${DEPS} small extensions + one of ${LARGE_MB} MB on ${REGISTRY}`)

// --- cases ------------------------------------------------------------------------------
const CASES = [
  ['--version', () => ['--version']],
  ['oci push (unchanged, 1 small)', () => ['oci', 'push', small[0], '--json'], {expect: /"skipped": 2/}],
  ['oci pull (small, cached)', (side) => ['oci', 'pull', `${names[1]}:1.0.0`, '--output', path.join(dir('out', side), 'small'), '--yes', '--json'], {expect: /"files"/}],
  ['oci pull (large, cold cache)', (side) => ['oci', 'pull', 'reshape-large:1.0.0', '--output', path.join(dir('out', side), 'large'), '--yes', '--json'], {expect: /"files"/, cold: (side) => [path.join(WORK, 'homes', side, 'cache', 'oci')]}],
  ['oci copy (large, to a layout)', (side) => ['oci', 'copy', 'reshape-large:1.0.0', `oci-layout://${path.join(WORK, 'layout', side)}:1.0.0`, '--json'], {expect: /"digest"/, cold: (side) => [path.join(WORK, 'layout', side)]}],
  ['dep resolve --force (warm cache)', () => ['dep', 'resolve', '--force', '--json'], {expect: /"installed"|"extensions"/, ws: true}],
  ['dep resolve (cold: no lock, no cache)', () => ['dep', 'resolve', '--json'], {expect: /"installed"|"extensions"/, ws: true, cold: (side) => [path.join(WORK, 'homes', side, 'cache', 'oci'), path.join(workspaces[side], 'config', 'provisioning.lock'), path.join(workspaces[side], 'extensions')]}],
]
const cases = []
for (const [label, args, opts = {}] of CASES) {
  for (const side of Object.keys(sides)) {
    let c = cliOf(side)(args(side), {expect: opts.expect, cwd: opts.ws ? workspaces[side] : undefined})
    if (opts.cold) c = afterRemoving(c, opts.cold(side))
    cases.push({...c, name: `${label} [${side}]`})
  }
}
log(`reshape bench: ${RUNS} rounds (+${WARMUP} warm-up), ${cases.length} cases interleaved`)
const samples = measureInterleaved(cases, {runs: RUNS, warmup: WARMUP, onRound: (i, n) => log(`  round ${i}/${n}`)})

// --- report: new against old, per command -----------------------------------------------
const rows = ['| Command | old median ms | new median ms | new ÷ old (medians) | new ÷ old (paired by round) |', '| --- | ---: | ---: | ---: | ---: |']
const report = {}
for (const [label] of CASES) {
  const s = summarize({old: samples[`${label} [old]`], new: samples[`${label} [new]`]}, 'old')
  report[label] = {old: s.old.median, new: s.new.median, ratio: s.new.ratio, pairedRatio: s.new.pairedRatio}
  rows.push(`| \`${label}\` | ${s.old.median.toFixed(0)} | ${s.new.median.toFixed(0)} | ${s.new.ratio.toFixed(2)} | ${s.new.pairedRatio.toFixed(2)} |`)
}
console.log(`Old side: ${OLD_REF}. ${RUNS} rounds, ${machineInfo().cpus} cores, load ${machineInfo().loadavg.join(' ')}.\n`)
console.log(rows.join('\n'))
mkdirSync(RESULTS, {recursive: true})
writeFileSync(path.join(RESULTS, 'reshape.json'), `${JSON.stringify({machine: machineInfo(), oldRef: OLD_REF, runs: RUNS, report, samples}, null, 2)}\n`)
