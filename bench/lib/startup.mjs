// Startup benchmark: `provisioning` against the Node floor (`node -e 0` of the same Node), a bare
// oclif CLI on the same @oclif/core and `skopeo --version`, on every Node of BENCH_NODES, all
// interleaved in one run so the reported ratios are robust to a noisy machine.
// Run through bench/startup.sh (which builds dist/, the bare CLI's manifest and finds Node 24).
//
// env: BENCH_RUNS (default 20), BENCH_WARMUP (default 3), BENCH_NODES (node binaries separated
// by ":"; default: this node), BENCH_ASSERT=1 (fail when a goal checked below is missed),
// BENCH_BREAKDOWN=1 (also time variants that isolate what oclif's `--version` spends).
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {BENCH, RESULTS, ROOT, hermeticEnv, intEnv} from './bench-env.mjs'
import {machineInfo, markdownTable, measureInterleaved, summarize} from './measure.mjs'

const BARE = path.join(BENCH, 'bare-cli')
const VARIANTS = path.join(RESULTS, 'variants') // breakdown only; removed after the run

const runs = Math.max(1, intEnv('BENCH_RUNS', 20))
const warmup = intEnv('BENCH_WARMUP', 3)
const assert = process.env.BENCH_ASSERT === '1'
const breakdown = process.env.BENCH_BREAKDOWN === '1'
// Issue 16's goals; the first two are what BENCH_ASSERT checks.
const GOALS = {version: 1.5, configGet: 1.7, lockedResolve: 1.3, skopeo: 3}

const nodes = (process.env.BENCH_NODES || process.execPath).split(':').filter(Boolean)
const nodeLabel = (bin) => `node ${spawnSync(bin, ['--version'], {encoding: 'utf8'}).stdout.trim()}`
const labels = nodes.map(nodeLabel)

// Hermetic environment: a throw-away PROVISIONING_HOME, XDG dirs (so neither CLI sees
// user-installed oclif plugins or caches; Node's compile cache lives in the XDG cache and is warm
// after the warm-up rounds, as on a user's machine), an empty cwd, and none of the variables that
// change what oclif or the CLI do (NODE_ENV=development would make oclif look for src/*.ts).
const scratch = mkdtempSync(path.join(os.tmpdir(), 'provisioning-bench-'))
const env = {...hermeticEnv((name) => path.join(scratch, `xdg-${name}`)), PROVISIONING_HOME: path.join(scratch, 'home')}
const cwd = path.join(scratch, 'cwd')
mkdirSync(cwd)
mkdirSync(env.PROVISIONING_HOME)
// Two registered workspaces for the completion case.
mkdirSync(path.join(env.PROVISIONING_HOME, 'config'))
writeFileSync(path.join(env.PROVISIONING_HOME, 'config', 'user_config.yaml'), `workspaces:\n  - {name: alpha, path: ${cwd}}\n  - {name: beta, path: ${cwd}}\n`)

const mainRun = path.join(ROOT, 'bin', 'run.js')
const bareRun = path.join(BARE, 'bin', 'run.js')

// A workspace whose lock is current: 6 extensions from the bundled examples (local source),
// resolved once here, so every timed `dep resolve --frozen` follows the lock.
const workspace = path.join(scratch, 'ws')
for (const group of ['providers', 'taskservs', 'clusters']) mkdirSync(path.join(workspace, 'extensions', group), {recursive: true})
mkdirSync(path.join(workspace, 'config'), {recursive: true})
writeFileSync(
  path.join(workspace, 'config', 'provisioning.yaml'),
  [
    'workspace: {name: bench}',
    'dependencies:',
    '  extensions:',
    '    source_type: local',
    `    local: {path: ${JSON.stringify(path.join(ROOT, 'templates', 'examples'))}}`,
    '    modules:',
    "      taskservs: ['containerd:1.6.9', {name: redis, version: '^7'}]",
    "      clusters: [{name: k8s-basic, version: '^1.0'}]",
    '',
  ].join('\n'),
)
const resolved = spawnSync(nodes[0], [mainRun, 'dep', 'resolve'], {cwd: workspace, env, encoding: 'utf8'})
if (resolved.status !== 0) throw new Error(`bench: could not resolve the bench workspace: ${resolved.stderr}`)

const mk = (name, command, args, expect, extra = {}) => ({
  name,
  command,
  args,
  cwd: extra.cwd ?? cwd,
  env: {...env, ...extra.env},
  expect,
  exitCode: extra.exitCode,
})
const OCLIF = {PROVISIONING_NO_FAST_PATH: '1'}
const FLOOR = (label) => `${label}: node -e 0`
const VERSION = (label) => `${label}: provisioning --version`
const VERSION_OCLIF = (label) => `${label}: provisioning --version (oclif)`
const CONFIG_GET = (label) => `${label}: provisioning config get oci.registry`
const RESOLVE = (label) => `${label}: provisioning dep resolve --frozen (lock current)`
const RESOLVE_OCLIF = (label) => `${label}: provisioning dep resolve --frozen (oclif)`
const SKOPEO = 'skopeo --version'
const BASELINE = 'bare --version'

const cases = []
nodes.forEach((node, i) => {
  const label = labels[i]
  cases.push(
    mk(FLOOR(label), node, ['-e', '0']),
    mk(VERSION(label), node, [mainRun, '--version'], /^provisioning\/\d/),
    mk(VERSION_OCLIF(label), node, [mainRun, '--version'], /^provisioning\/\d/, {env: OCLIF}),
    mk(CONFIG_GET(label), node, [mainRun, 'config', 'get', 'oci.registry'], /\S/),
    mk(`${label}: provisioning config get oci.registry (oclif)`, node, [mainRun, 'config', 'get', 'oci.registry'], /\S/, {env: OCLIF}),
    mk(RESOLVE(label), node, [mainRun, 'dep', 'resolve', '--frozen'], /followed the lockfile/, {cwd: workspace}),
    mk(RESOLVE_OCLIF(label), node, [mainRun, 'dep', 'resolve', '--frozen'], /followed the lockfile/, {cwd: workspace, env: OCLIF}),
    mk(`${label}: provisioning --help`, node, [mainRun, '--help'], /USAGE/),
  )
  // What Node 24's compile cache is worth (bin/run.js enables it where Node has it).
  if (Number(label.match(/v(\d+)/)?.[1]) >= 22)
    cases.push(
      mk(`${label}: provisioning config get oci.registry (no compile cache)`, node, [mainRun, 'config', 'get', 'oci.registry'], /\S/, {
        env: {NODE_DISABLE_COMPILE_CACHE: '1'},
      }),
    )
})
const node = nodes[0]
cases.push(
  mk(`${labels[0]}: provisioning config show --json`, node, [mainRun, 'config', 'show', '--json'], /"value"/),
  // An unknown command: the did-you-mean path (usage error, exit 2, SPEC §3).
  mk(`${labels[0]}: provisioning oci pusj (did you mean)`, node, [mainRun, 'oci', 'pusj'], undefined, {exitCode: 2}),
  // What bash runs on <Tab> after "workspace switch" (README "Shell completion").
  mk(`${labels[0]}: provisioning __complete workspaces`, node, [mainRun, '__complete', 'workspaces'], /^alpha\nbeta$/m),
  mk(BASELINE, node, [bareRun, '--version'], /^bare\/\d/),
  mk('bare hello', node, [bareRun, 'hello'], /^hello$/m),
)
const haveSkopeo = spawnSync('skopeo', ['--version']).status === 0
if (haveSkopeo) cases.push(mk(SKOPEO, 'skopeo', ['--version'], /^skopeo version/))

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
  const imp = (label, file) =>
    cases.push(mk(`node: import ${label}`, node, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(file).href)})`]))
  imp('@oclif/core', nm('@oclif', 'core', 'lib', 'index.js'))
  imp('yaml', nm('yaml', 'dist', 'index.js'))
  imp('smol-toml', nm('smol-toml', 'dist', 'index.js'))
  // oclif sorts a plugin's commands with String#localeCompare; the first call builds an ICU collator.
  cases.push(mk('node: first localeCompare', node, ['-e', "'a'.localeCompare('b')"]))
  const v = (label, opts) =>
    cases.push(
      mk(`provisioning --version (oclif), ${label}`, node, [variant(label.replace(/\W+/g, '-'), {from: ROOT, ...opts}), '--version'], /^provisioning\/\d/),
    )
  v('no plugins', {plugins: []})
  for (const p of PLUGINS) v(`only ${p.replace('@oclif/', '')}`, {plugins: [p]})
  v('no manifest', {manifest: false})
  const bare = (label, opts) =>
    cases.push(mk(`bare --version, ${label}`, node, [variant(`bare-${label.replace(/\W+/g, '-')}`, {from: BARE, ...opts}), '--version'], /^bare\/\d/))
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
const med = (name) => summary[name].median
const goalRows = labels.map((label) => {
  // Paired ratios (same round) against this Node's own floor: the fairest figure on a noisy machine.
  const perFloor = summarize(samples, FLOOR(label))
  const perVersion = summarize(samples, VERSION(label))
  const row = {
    node: label,
    versionPerFloor: perFloor[VERSION(label)].pairedRatio,
    configGetPerFloor: perFloor[CONFIG_GET(label)].pairedRatio,
    lockedResolvePerVersion: perVersion[RESOLVE(label)].pairedRatio,
    lockedResolvePerOclifVersion: med(RESOLVE(label)) / med(VERSION_OCLIF(label)),
    // A locked resolve loads config too: how much it costs on top of the cheapest command that does.
    lockedResolvePerConfigGet: med(RESOLVE(label)) / med(CONFIG_GET(label)),
    oclifVersionPerFloor: perFloor[VERSION_OCLIF(label)].pairedRatio,
    versionPerSkopeo: haveSkopeo ? med(VERSION(label)) / med(SKOPEO) : undefined,
  }
  row.pass = row.versionPerFloor <= GOALS.version && row.configGetPerFloor <= GOALS.configGet
  return row
})
const pass = goalRows.every((r) => r.pass)

const f2 = (x) => (x === undefined ? '—' : `${x.toFixed(2)}×`)
const ok = (x, goal) => (x === undefined ? '' : x <= goal ? ' ok' : ' **over**')
console.log(markdownTable(cases, summary, {baselineName: BASELINE, floorName: FLOOR(labels[0])}))
console.log()
console.log(
  `| Node | \`--version\` / \`node -e 0\` (goal ≤ ${GOALS.version}×) | \`config get\` / \`node -e 0\` (goal ≤ ${GOALS.configGet}×) | locked \`dep resolve\` / \`--version\` (goal ≤ ${GOALS.lockedResolve}×) | locked \`dep resolve\` / oclif \`--version\` | locked \`dep resolve\` / \`config get\` | oclif \`--version\` / \`node -e 0\` | \`--version\` / \`skopeo --version\` (goal ≤ ${GOALS.skopeo}×) |`,
)
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const r of goalRows)
  console.log(
    `| ${r.node} | ${f2(r.versionPerFloor)}${ok(r.versionPerFloor, GOALS.version)} | ${f2(r.configGetPerFloor)}${ok(r.configGetPerFloor, GOALS.configGet)} | ${f2(r.lockedResolvePerVersion)}${ok(r.lockedResolvePerVersion, GOALS.lockedResolve)} | ${f2(r.lockedResolvePerOclifVersion)} | ${f2(r.lockedResolvePerConfigGet)} | ${f2(r.oclifVersionPerFloor)} | ${f2(r.versionPerSkopeo)}${ok(r.versionPerSkopeo, GOALS.skopeo)} |`,
  )
console.log()
console.log(
  `${runs} interleaved runs each, ${warmup} warm-up rounds; ${labels.join(', ')}; ${machine.platform}, ${machine.cpus} × ${machine.cpuModel}, load before ${machine.loadavg.join(' ')}. Ratios to \`node -e 0\` are paired (median over rounds of the ratio within a round).`,
)

mkdirSync(RESULTS, {recursive: true})
const json = {
  date: new Date().toISOString(),
  machine: {...machine, loadavgAfter: os.loadavg().map((x) => Number(x.toFixed(2)))},
  nodes: labels,
  runs,
  warmup,
  baseline: BASELINE,
  goals: {...GOALS, asserted: assert, checked: ['version', 'configGet'], pass},
  goalRows,
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
  for (const r of goalRows.filter((row) => !row.pass))
    process.stderr.write(
      `BENCH_ASSERT: ${r.node}: --version ${r.versionPerFloor.toFixed(2)}× node -e 0 (goal ${GOALS.version}×), config get ${r.configGetPerFloor.toFixed(2)}× (goal ${GOALS.configGet}×)\n`,
    )
  process.exitCode = 1
}
