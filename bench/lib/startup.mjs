// Startup benchmark: `provisioning` against a bare oclif CLI on the same @oclif/core,
// interleaved in one run so the reported ratios are robust to a noisy machine.
// Run through bench/startup.sh (which builds dist/ and the bare CLI's manifest first).
//
// env: BENCH_RUNS (default 30), BENCH_WARMUP (default 3), BENCH_ASSERT=1 (fail above
// BENCH_MAX_RATIO, default 1.3), BENCH_BREAKDOWN=1 (also time variants that isolate what
// `provisioning --version` spends: plugins, manifest, importing @oclif/core).
import {cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {BENCH, RESULTS, ROOT, hermeticEnv, intEnv} from './bench-env.mjs'
import {machineInfo, markdownTable, measureInterleaved, summarize} from './measure.mjs'

const BARE = path.join(BENCH, 'bare-cli')
const VARIANTS = path.join(RESULTS, 'variants') // breakdown only; removed after the run

const runs = Math.max(1, intEnv('BENCH_RUNS', 30))
const warmup = intEnv('BENCH_WARMUP', 3)
const assert = process.env.BENCH_ASSERT === '1'
const maxRatio = Number(process.env.BENCH_MAX_RATIO || 1.3)
const breakdown = process.env.BENCH_BREAKDOWN === '1'

// Hermetic environment: a throw-away PROVISIONING_HOME, XDG dirs (so neither CLI sees
// user-installed oclif plugins or caches), an empty cwd, and none of the variables that
// change what oclif or the CLI do (NODE_ENV=development would make oclif look for src/*.ts).
const scratch = mkdtempSync(path.join(os.tmpdir(), 'provisioning-bench-'))
const env = {...hermeticEnv((name) => path.join(scratch, `xdg-${name}`)), PROVISIONING_HOME: path.join(scratch, 'home')}
const cwd = path.join(scratch, 'cwd')
mkdirSync(cwd)
mkdirSync(env.PROVISIONING_HOME)
// Two registered workspaces for the completion case.
mkdirSync(path.join(env.PROVISIONING_HOME, 'config'))
writeFileSync(path.join(env.PROVISIONING_HOME, 'config', 'user_config.yaml'), `workspaces:\n  - {name: alpha, path: ${cwd}}\n  - {name: beta, path: ${cwd}}\n`)

const node = process.execPath
const mk = (name, args, expect, exitCode) => ({name, command: node, args, cwd, env, expect, exitCode})
const mainRun = path.join(ROOT, 'bin', 'run.js')
const bareRun = path.join(BARE, 'bin', 'run.js')

const BASELINE = 'bare --version'
const FLOOR = 'node -e 0'
const PROV_VERSION = 'provisioning --version'

const cases = [
  mk(PROV_VERSION, [mainRun, '--version'], /^provisioning\/\d/),
  mk('provisioning --help', [mainRun, '--help'], /USAGE/),
  mk('provisioning config show --json', [mainRun, 'config', 'show', '--json'], /"value"/),
  // An unknown command: the did-you-mean path (usage error, exit 2, SPEC §3).
  mk('provisioning oci pusj (did you mean)', [mainRun, 'oci', 'pusj'], undefined, 2),
  // What bash runs on <Tab> after "workspace switch" (README "Shell completion").
  mk('provisioning __complete workspaces', [mainRun, '__complete', 'workspaces'], /^alpha\nbeta$/m),
  mk(BASELINE, [bareRun, '--version'], /^bare\/\d/),
  mk('bare hello', [bareRun, 'hello'], /^hello$/m),
  mk(FLOOR, ['-e', '0']),
]

// --- optional breakdown: variant CLIs that differ from the real one in one thing each ---
// Built under bench/results/variants/ (gitignored): a copied bin/run.js (oclif finds the CLI
// root from import.meta.url), an edited package.json, and links to dist/, commands/ and
// node_modules/, so they run the very same compiled code and @oclif/core.
function variant(name, {from, plugins, manifest = true, secondCommand = false}) {
  const dir = path.join(VARIANTS, name)
  mkdirSync(path.join(dir, 'bin'), {recursive: true})
  const pjson = JSON.parse(readFileSync(path.join(from, 'package.json'), 'utf8'))
  if (plugins !== undefined) pjson.oclif.plugins = plugins
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pjson, null, 2))
  cpSync(path.join(from, 'bin', 'run.js'), path.join(dir, 'bin', 'run.js'))
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  if (existsSync(path.join(from, 'dist'))) symlinkSync(path.join(from, 'dist'), path.join(dir, 'dist'), 'dir')
  let mf = manifest ? JSON.parse(readFileSync(path.join(from, 'oclif.manifest.json'), 'utf8')) : undefined
  if (secondCommand) {
    // bare CLI only: a copy of `hello` as `hello2`, in the manifest too.
    cpSync(path.join(from, 'commands'), path.join(dir, 'commands'), {recursive: true})
    cpSync(path.join(from, 'commands', 'hello.js'), path.join(dir, 'commands', 'hello2.js'))
    if (mf) mf.commands.hello2 = {...mf.commands.hello, id: 'hello2', relativePath: ['commands', 'hello2.js']}
  } else if (existsSync(path.join(from, 'commands'))) {
    symlinkSync(path.join(from, 'commands'), path.join(dir, 'commands'), 'dir')
  }
  if (mf) writeFileSync(path.join(dir, 'oclif.manifest.json'), JSON.stringify(mf))
  return path.join(dir, 'bin', 'run.js')
}

if (breakdown) {
  rmSync(VARIANTS, {recursive: true, force: true})
  const PLUGINS = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).oclif.plugins ?? []
  const nm = (...p) => path.join(ROOT, 'node_modules', ...p)
  const imp = (label, file) => cases.push(mk(`node: import ${label}`, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(file).href)})`]))
  imp('@oclif/core', nm('@oclif', 'core', 'lib', 'index.js'))
  imp('yaml', nm('yaml', 'dist', 'index.js'))
  imp('smol-toml', nm('smol-toml', 'dist', 'index.js'))
  // oclif sorts a plugin's commands with String#localeCompare; the first call builds an ICU collator.
  cases.push(mk('node: first localeCompare', ['-e', "'a'.localeCompare('b')"]))
  const v = (label, opts) =>
    cases.push(mk(`provisioning --version, ${label}`, [variant(label.replace(/\W+/g, '-'), {from: ROOT, ...opts}), '--version'], /^provisioning\/\d/))
  v('no plugins', {plugins: []})
  for (const p of PLUGINS) v(`only ${p.replace('@oclif/', '')}`, {plugins: [p]})
  v('no manifest', {manifest: false})
  const bare = (label, opts) =>
    cases.push(mk(`bare --version, ${label}`, [variant(`bare-${label.replace(/\W+/g, '-')}`, {from: BARE, ...opts}), '--version'], /^bare\/\d/))
  bare('2 commands', {secondCommand: true})
  bare(`+ ${PLUGINS.length} plugins`, {plugins: PLUGINS})
}

// --- measure ---
const machine = machineInfo()
process.stderr.write(
  `startup bench: ${cases.length} commands × ${runs} runs (+${warmup} warm-up), interleaved; node ${machine.node}, ${machine.cpus} cpus, load ${machine.loadavg.join(' ')}\n`,
)
let samples
try {
  samples = measureInterleaved(cases, {
    runs,
    warmup,
    onRound: (i, n) => {
      if (process.stderr.isTTY) process.stderr.write(`\r  round ${i}/${n}`)
      else if (i === n || i % 10 === 0) process.stderr.write(`  round ${i}/${n}\n`)
    },
  })
} finally {
  rmSync(scratch, {recursive: true, force: true})
  rmSync(VARIANTS, {recursive: true, force: true})
}
if (process.stderr.isTTY) process.stderr.write('\n')

const summary = summarize(samples, BASELINE)
const ratio = summary[PROV_VERSION].ratio
const pass = ratio <= maxRatio

console.log(markdownTable(cases, summary, {baselineName: BASELINE, floorName: FLOOR}))
console.log()
console.log(
  `${runs} interleaved runs each, ${warmup} warm-up rounds; node ${machine.node}, ${machine.platform}, ${machine.cpus} × ${machine.cpuModel}, load before ${machine.loadavg.join(' ')}`,
)
console.log(`\`provisioning --version\` / bare \`--version\` (medians): **${ratio.toFixed(2)}×** (budget ${maxRatio}×: ${pass ? 'ok' : 'OVER'})`)

mkdirSync(RESULTS, {recursive: true})
const json = {
  date: new Date().toISOString(),
  machine: {...machine, loadavgAfter: os.loadavg().map((x) => Number(x.toFixed(2)))},
  runs,
  warmup,
  baseline: BASELINE,
  floor: FLOOR,
  budget: {metric: `${PROV_VERSION} median / ${BASELINE} median`, max: maxRatio, ratio, pass, asserted: assert},
  results: cases.map((c) => ({
    name: c.name,
    argv: [path.basename(c.command), ...c.args.map((a) => (a.startsWith(ROOT) ? path.relative(ROOT, a) : a))],
    ...summary[c.name],
    samplesMs: samples[c.name].map((x) => Number(x.toFixed(3))),
  })),
}
writeFileSync(path.join(RESULTS, 'startup.json'), `${JSON.stringify(json, null, 2)}\n`)
process.stderr.write(`wrote ${path.relative(ROOT, path.join(RESULTS, 'startup.json'))}\n`)

if (assert && !pass) {
  process.stderr.write(`BENCH_ASSERT: provisioning --version is ${ratio.toFixed(2)}× the bare oclif CLI, above ${maxRatio}×\n`)
  process.exitCode = 1
}
