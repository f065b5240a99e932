// Platform services and workspace locks benchmark (bench/README.md, "Platform services and
// workspace locks"), run through bench/platform.sh:
//  services:   (1) `oci-registry start` + `stop` vs docker-registry by hand in bash;
//              `platform status` vs `--version`;
//              (2) `platform start c` + `platform stop` of a 3-service chain (c -> b -> a,
//              python3 http.server) vs the same by hand in bash;
//  locks:      (3) `workspace lock` + `unlock` (file, etcd) vs `--version`, a raw etcd put +
//              delete, and importing the etcd3 client; `dep resolve --frozen` (guarded by the
//              lock check) with locking.provider none, file, etcd;
//  concurrent: (4) 20 concurrent `workspace lock` (file, etcd) vs 20 concurrent `--version`:
//              wall time; exactly one exit 0 and 19 exit 9, checked every time.
// Rounds are interleaved round-robin (the starting case rotates), so machine noise hits every
// case alike; ratios are against a baseline measured in the same rounds.
//
// env (set by platform.sh): BENCH_APP (private copy of the built CLI), BENCH_WORK (scratch),
// BENCH_ETCD (http://127.0.0.1:PORT, empty when no lock part runs), BENCH_ONLY.
// env (user): see the header of bench/platform.sh.
import {Buffer} from 'node:buffer'
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {APP, RESULTS, ROOT, RUN_JS, hermeticEnv, intEnv, scratchDirs} from './bench-env.mjs'
import {freePort} from './free-port.mjs'
import {machineInfo, median, percentile} from './measure.mjs'
import {ETCD_RAW, ETCDCTL_RAW, HAND_CHAIN, HAND_REGISTRY} from './platform-hand.mjs'

const WORK = process.env.BENCH_WORK
const ETCD = process.env.BENCH_ETCD || ''
if (!WORK) throw new Error('run through bench/platform.sh (BENCH_WORK is not set)')

const ONLY = new Set((process.env.BENCH_ONLY || 'services,locks,concurrent').split(',').map((s) => s.trim()).filter(Boolean))
const ROUNDS = intEnv('BENCH_ROUNDS', 5, 1)
const WARMUP = intEnv('BENCH_WARMUP', 1)
const CONCURRENT_ROUNDS = intEnv('BENCH_CONCURRENT_ROUNDS', 3, 1)
const LOCKERS = intEnv('BENCH_LOCKERS', 20, 2)
const POLL_MS = intEnv('BENCH_POLL_MS', 100, 1)
if ((ONLY.has('locks') || ONLY.has('concurrent')) && !ETCD) throw new Error('BENCH_ETCD is not set (run through bench/platform.sh)')

const log = (msg) => process.stderr.write(`${msg}\n`)
const dir = scratchDirs(WORK)
const t0 = Date.now()
const machine = machineInfo()
log(`platform bench: parts ${[...ONLY].join(', ')}; ${ROUNDS} rounds (+${WARMUP} warm-up), ${CONCURRENT_ROUNDS} concurrent rounds of ${LOCKERS}; node ${machine.node}, ${machine.cpus} cpus, load ${machine.loadavg.join(' ')}`)

// --- processes ------------------------------------------------------------------------------

/**
 * Runs one process; resolves with {ms, code, signal, stdout, stderr, marks}. `marks` holds,
 * for each stdout line that is a single upper-case word (HEALTHY, STOPPED), the ms from spawn
 * to when it was read. Never rejects on a non-zero exit: callers check.
 */
function run(command, args, {env, cwd = dir('cwd')} = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const elapsed = () => Number(process.hrtime.bigint() - start) / 1e6
    const child = spawn(command, args, {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
    const out = []
    const err = []
    const marks = {}
    let pending = ''
    child.stdout.on('data', (d) => {
      out.push(d)
      pending += d.toString('utf8')
      let nl
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim()
        pending = pending.slice(nl + 1)
        if (/^[A-Z]+$/.test(line) && !(line in marks)) marks[line] = elapsed()
      }
    })
    child.stderr.on('data', (d) => err.push(d))
    child.once('error', reject)
    child.once('close', (code, signal) => {
      resolve({ms: elapsed(), code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), marks, argv: [command, ...args]})
    })
  })
}

function failure(what, r, why) {
  return new Error(
    `bench: ${what} failed: ${why ?? `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}`}\n$ ${r.argv.join(' ')}\n` +
      `--- stdout (first 800 chars)\n${r.stdout.slice(0, 800)}\n--- stderr (first 1500 chars)\n${r.stderr.slice(0, 1500)}`,
  )
}

/** Exit 0 and, when `check` is given, check(stdout parsed as JSON or text) returns nothing or throws. */
function ok(what, r, check) {
  if (r.code !== 0) throw failure(what, r)
  if (check) {
    let doc = r.stdout
    try {
      doc = JSON.parse(r.stdout)
    } catch {
      // not JSON: check gets the text
    }
    let problem
    try {
      problem = check(doc)
    } catch (error) {
      problem = error.message
    }
    if (problem) throw failure(what, r, problem)
  }
  return r
}

const need = (cond, msg) => {
  if (!cond) throw new Error(msg)
}

// Alive and not a zombie: the CLI's own check (a bench process never reaps what it did not start).
const {processAlive: alive} = await import(pathToFileURL(path.join(APP, 'dist', 'lib', 'util', 'process-info.js')).href)

/** True when something accepts connections on 127.0.0.1:port. */
function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect({host: '127.0.0.1', port})
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

// --- hermetic environment (as bench/lib/startup.mjs) ------------------------------------------

const baseEnv = hermeticEnv((name) => dir('xdg', name))
Object.assign(baseEnv, {
  DOCKER_CONFIG: dir('docker'),
  CI: '1',
})
const homeEnv = (name, extra = {}) => ({...baseEnv, PROVISIONING_HOME: dir(`home-${name}`), ...extra})
const cli = (env, ...args) => run(process.execPath, [RUN_JS, ...args], {env})

const bashScript = (name, text) => {
  const file = path.join(dir('hand'), name)
  writeFileSync(file, text, {mode: 0o755})
  return file
}

// --- rounds and statistics ------------------------------------------------------------------

/**
 * `cases`: [{name, run: async () => ({metric: ms, ...})}]. Warm-up rounds, then `rounds` timed
 * rounds; each round runs every case once, starting at a rotating position. Returns
 * {metric: ms[]} in round order (index i = round i for every metric).
 */
async function interleaved(label, cases, {rounds, warmup}) {
  for (let w = 0; w < warmup; w++) for (const c of cases) await c.run()
  const samples = {}
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(i + k) % cases.length]
      for (const [metric, ms] of Object.entries(await c.run())) (samples[metric] ??= []).push(ms)
    }
    log(`  ${label}: round ${i + 1}/${rounds} (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
  }
  return samples
}

const stats = (xs) => ({median: median(xs), min: Math.min(...xs), p90: percentile(xs, 90), max: Math.max(...xs)})
/** a against b: ratio of medians, and the median over rounds of a_i / b_i. */
const versus = (a, b) => ({ratio: median(a) / median(b), paired: median(a.map((x, i) => x / b[i]))})
const f0 = (x) => Math.round(x).toLocaleString('en-US')
const f2 = (x) => x.toFixed(2)
const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')

const VERSION = '`provisioning --version`'
const versionCase = (env) => ({
  name: VERSION,
  run: async () => ({[VERSION]: ok('--version', await cli(env, '--version'), (t) => (/^provisioning\/\d/.test(t) ? undefined : 'no version line')).ms}),
})

const output = {}
const sections = []

// --- (1) + (2) platform services --------------------------------------------------------------

async function services() {
  const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], {encoding: 'utf8'}).stdout.trim()
  need(python && existsSync(python), 'python3 not found')
  const registryBin = spawnSync('bash', ['-c', 'command -v docker-registry'], {encoding: 'utf8'}).stdout.trim()
  const port = {}
  for (const name of ['registry', 'handRegistry', 'a', 'b', 'c', 'handA', 'handB', 'handC']) port[name] = await freePort()
  const env = homeEnv('platform')
  // The chain as in test/e2e/platform-lifecycle.test.ts; the registry pinned to docker-registry,
  // which the hand baseline runs too (zot, when installed, would be preferred otherwise).
  const server = (name, extra = '') => `
[platform.services.${name}]
command = "${python}"
args = ["-m", "http.server", "${port[name]}", "--bind", "127.0.0.1"]
port = ${port[name]}
start_timeout_seconds = 20
stop_grace_seconds = 5
${extra}
[platform.services.${name}.health]
type = "http"
url = "http://127.0.0.1:${port[name]}/"
`
  writeFileSync(path.join(env.PROVISIONING_HOME, 'config.user.toml'), `# bench/platform.sh
[platform.services.oci-registry]
command = "${registryBin}"
port = ${port.registry}
${server('a')}
${server('b', 'depends_on = ["a"]')}
${server('c', 'depends_on = ["b"]')}
`)
  // The by-hand registry gets the config the CLI generates (same log level, delete enabled),
  // with its own storage and port.
  const handRegistryConfig = path.join(dir('hand', 'registry'), 'config.yml')
  writeFileSync(handRegistryConfig, `version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: "${dir('hand', 'registry', 'storage')}"
  delete:
    enabled: true
http:
  addr: "127.0.0.1:${port.handRegistry}"
  secret: "${Math.random().toString(16).slice(2)}${Math.random().toString(16).slice(2)}"
`)
  const handRegistry = bashScript('hand-registry.sh', HAND_REGISTRY)
  const handChain = bashScript('hand-chain.sh', HAND_CHAIN)
  const pollSeconds = (POLL_MS / 1000).toString()
  dir('hand', 'pids')
  dir('hand', 'logs')

  const REG_START = 'registry start (until GET /v2/ = 200)'
  const REG_STOP = 'registry stop'
  const CHAIN_START = 'chain start c -> b -> a (each healthy before the next)'
  const CHAIN_STOP = 'chain stop (c, b, a)'
  const STATUS = '`platform status` (10 services defined, none running)'
  const STATUS_RUNNING = '`platform status a b c` (3 running, health-checked)'
  const cli_ = (m) => `${m}: provisioning`
  const hand = (m) => `${m}: by hand`

  const gone = async (what, pids, ports) => {
    for (const pid of pids) need(!alive(pid), `${what}: pid ${pid} still alive after stop`)
    for (const p of ports) need(!(await listening(p)), `${what}: port ${p} still answers after stop`)
  }
  const pidsOf = (r) => [...r.stdout.matchAll(/^PID (\d+)$/gm)].map((m) => Number(m[1]))
  const handTimes = (what, r, count) => {
    ok(what, r)
    const pids = pidsOf(r)
    if (pids.length !== count || r.marks.HEALTHY === undefined || r.marks.STOPPED === undefined) throw failure(what, r, 'missing PID / HEALTHY / STOPPED lines')
    return {start: r.marks.HEALTHY, stop: r.ms - r.marks.HEALTHY, pids}
  }

  const cases = [
    {
      name: 'registry, provisioning',
      run: async () => {
        let pid
        const start = ok('oci-registry start', await cli(env, 'oci-registry', 'start', '--json'), (d) => {
          const s = d.services?.find((x) => x.name === 'oci-registry')
          pid = s?.pid
          return s?.action === 'started' && d.registry?.binary === registryBin ? undefined : 'oci-registry was not started (or not with docker-registry)'
        })
        need(await listening(port.registry), 'oci-registry start returned but the port does not answer')
        const stop = ok('oci-registry stop', await cli(env, 'oci-registry', 'stop', '--json'), (d) =>
          d.services?.some((x) => x.name === 'oci-registry' && x.action === 'stopped') ? undefined : 'oci-registry was not stopped')
        await gone('oci-registry stop', [pid], [port.registry])
        return {[cli_(REG_START)]: start.ms, [cli_(REG_STOP)]: stop.ms}
      },
    },
    {
      name: 'registry, by hand',
      run: async () => {
        const r = await run('bash', [handRegistry, handRegistryConfig, String(port.handRegistry), pollSeconds, path.join(WORK, 'hand', 'pids', 'registry.pid'), path.join(WORK, 'hand', 'logs', 'registry.log')], {env: baseEnv})
        const t = handTimes('hand-registry.sh', r, 1)
        await gone('hand-registry.sh', t.pids, [port.handRegistry])
        return {[hand(REG_START)]: t.start, [hand(REG_STOP)]: t.stop}
      },
    },
    {
      name: 'chain, provisioning',
      run: async () => {
        let pids = []
        const start = ok('platform start c', await cli(env, 'platform', 'start', 'c', '--json'), (d) => {
          pids = (d.services ?? []).map((s) => s.pid)
          const got = (d.services ?? []).map((s) => `${s.name}:${s.action}`).join(' ')
          return d.order?.join(',') === 'a,b,c' && got === 'a:started b:started c:started' ? undefined : `expected a, b, c started in that order, got ${got}`
        })
        const status = ok('platform status a b c', await cli(env, 'platform', 'status', 'a', 'b', 'c', '--json'), (d) => {
          const got = (d.services ?? []).map((s) => `${s.name}:${s.state}:${s.healthy}`).join(' ')
          return got === 'a:running:true b:running:true c:running:true' ? undefined : `expected a, b, c running and healthy, got ${got}`
        })
        const stop = ok('platform stop', await cli(env, 'platform', 'stop', '--json'), (d) => {
          const got = (d.services ?? []).map((s) => `${s.name}:${s.action}`).join(' ')
          return got === 'c:stopped b:stopped a:stopped' ? undefined : `expected c, b, a stopped, got ${got}`
        })
        await gone('platform stop', pids, [port.a, port.b, port.c])
        return {[cli_(CHAIN_START)]: start.ms, [cli_(CHAIN_STOP)]: stop.ms, [STATUS_RUNNING]: status.ms}
      },
    },
    {
      name: 'chain, by hand',
      run: async () => {
        const r = await run('bash', [handChain, python, pollSeconds, path.join(WORK, 'hand', 'pids'), path.join(WORK, 'hand', 'logs'), `a:${port.handA}`, `b:${port.handB}`, `c:${port.handC}`], {env: baseEnv})
        const t = handTimes('hand-chain.sh', r, 3)
        await gone('hand-chain.sh', t.pids, [port.handA, port.handB, port.handC])
        return {[hand(CHAIN_START)]: t.start, [hand(CHAIN_STOP)]: t.stop}
      },
    },
    {
      name: STATUS,
      run: async () => ({
        [STATUS]: ok('platform status', await cli(env, 'platform', 'status', '--json'), (d) => {
          const list = d.services ?? []
          if (list.length !== 10) return `expected 10 services, got ${list.length}`
          return list.some((s) => s.state === 'running') ? 'a service is running' : undefined
        }).ms,
      }),
    },
    versionCase(env),
  ]
  log(`services: docker-registry ${registryBin}, python ${python}, by-hand poll ${POLL_MS} ms`)
  const samples = await interleaved('services', cases, {rounds: ROUNDS, warmup: WARMUP})

  const sum = (x, y) => x.map((ms, i) => ms + y[i])
  for (const side of [cli_, hand]) {
    samples[side('registry start + stop')] = sum(samples[side(REG_START)], samples[side(REG_STOP)])
    samples[side('chain start + stop')] = sum(samples[side(CHAIN_START)], samples[side(CHAIN_STOP)])
  }
  const pairs = [
    ['local registry: start, until healthy', REG_START],
    ['local registry: stop', REG_STOP],
    ['local registry: start + stop', 'registry start + stop'],
    ['chain of 3: start', CHAIN_START],
    ['chain of 3: stop', CHAIN_STOP],
    ['chain of 3: start + stop', 'chain start + stop'],
  ]
  const rows = pairs.map(([label, m]) => {
    const a = samples[cli_(m)]
    const b = samples[hand(m)]
    const v = versus(a, b)
    const beyond = m.includes('+ stop') ? '' : f0(median(a) - median(samples[VERSION]))
    return [label, f0(median(a)), beyond, f0(median(b)), f0(median(a) - median(b)), `**${f2(v.ratio)}**`, f2(v.paired)]
  })
  const v = samples[VERSION]
  const statusRows = [VERSION, STATUS, STATUS_RUNNING].map((m) => {
    const s = stats(samples[m])
    const r = versus(samples[m], v)
    return [m, f0(s.median), f0(s.min), f0(s.p90), f0(s.median - median(v)), m === VERSION ? '**1.00** (baseline)' : `**${f2(r.ratio)}**`, f2(r.paired)]
  })
  sections.push(
    `(1) + (2) services (${ROUNDS} rounds after ${WARMUP} warm-up, interleaved; by-hand poll ${POLL_MS} ms, the CLI's is 100 ms):\n\n` +
      table(['Operation', 'provisioning median ms', 'provisioning minus `--version` ms', 'by hand (bash) median ms', 'difference ms', '× by hand (medians)', '× by hand (paired)'], rows) +
      '\n\n' +
      table(['Command', 'median ms', 'min ms', 'p90 ms', 'minus `--version` ms', '× `--version` (medians)', 'paired'], statusRows),
  )
  output.services = {
    ports: port,
    python,
    registryBin,
    pollMs: POLL_MS,
    results: Object.fromEntries(Object.entries(samples).map(([m, xs]) => [m, {...stats(xs), samplesMs: xs.map((x) => Number(x.toFixed(3)))}])),
  }
}

// --- workspace setup shared by (3) and (4) -------------------------------------------------------

const OWNER = 'bench'
const etcdEnv = {PROVISIONING_LOCKING__ETCD__ENDPOINTS: `["${ETCD}"]`, PROVISIONING_LOCKING__ETCD__TIMEOUT_SECONDS: '30'}
const lockEnv = (provider, extra = {}) => homeEnv('locks', {PROVISIONING_LOCKING__OWNER: OWNER, PROVISIONING_LOCKING__PROVIDER: provider, ...etcdEnv, ...extra})
const workspaces = new Set()
async function workspace(name) {
  if (workspaces.has(name)) return
  ok(`workspace init ${name}`, await cli(lockEnv('none'), 'workspace', 'init', name, '--path', path.join(WORK, 'workspaces', name), '--json'))
  workspaces.add(name)
}

// --- (3) lock, unlock and the lock check ------------------------------------------------------

async function locks() {
  for (const name of ['locks', 'guarded']) await workspace(name)
  // An empty dependency block resolved once: `dep resolve --frozen` then only follows the lock.
  ok('dep resolve (setup)', await cli(lockEnv('none'), 'dep', 'resolve', '-w', 'guarded', '--json'), (d) => (d.lockWritten ? undefined : 'no lockfile written'))
  const etcdRaw = bashScript('etcd-raw.sh', ETCD_RAW)
  const etcdctl = spawnSync('bash', ['-c', 'command -v etcdctl'], {encoding: 'utf8'}).stdout.trim()
  const etcdctlRaw = etcdctl ? bashScript('etcdctl-raw.sh', ETCDCTL_RAW) : undefined
  const etcd3Entry = path.join(APP, 'node_modules', 'etcd3', 'lib', 'index.js')

  const LOCK = (p) => `\`workspace lock\`, ${p}`
  const UNLOCK = (p) => `\`workspace unlock\`, ${p}`
  const BOTH = (p) => `lock + unlock, ${p}`
  const RAW = 'etcd alone: put + delete with curl (v3 JSON gateway)'
  const CTL = 'etcd alone: `etcdctl put` + `etcdctl del`'
  const NODE = '`node -e 0`'
  const IMPORT = '`node`: import the etcd3 client (`await import("etcd3")`)'
  const GUARD = (p) => `\`dep resolve --frozen\`, locking.provider ${p}`

  const lockUnlock = (provider) => ({
    name: BOTH(provider),
    run: async () => {
      const env = lockEnv(provider)
      const lock = ok(`workspace lock (${provider})`, await cli(env, 'workspace', 'lock', 'locks', '--reason', 'bench', '--json'), (d) =>
        d.provider === provider && d.lock?.owner === OWNER ? undefined : `expected a new ${provider} lock held by ${OWNER}`)
      const unlock = ok(`workspace unlock (${provider})`, await cli(env, 'workspace', 'unlock', 'locks', '--json'), (d) =>
        d.provider === provider && d.unlocked === true && d.forced === false ? undefined : `expected the ${provider} lock released`)
      return {[LOCK(provider)]: lock.ms, [UNLOCK(provider)]: unlock.ms, [BOTH(provider)]: lock.ms + unlock.ms}
    },
  })
  const guarded = (provider) => ({
    name: GUARD(provider),
    run: async () => ({
      [GUARD(provider)]: ok(`dep resolve --frozen (${provider})`, await cli(lockEnv(provider), 'dep', 'resolve', '--frozen', '-w', 'guarded', '--json'), (d) =>
        d.followedLock === true && d.lockWritten === false ? undefined : 'expected the lock followed, nothing written').ms,
    }),
  })
  const cases = [
    versionCase(lockEnv('none')),
    lockUnlock('file'),
    lockUnlock('etcd'),
    {
      name: RAW,
      run: async () => ({[RAW]: ok('etcd-raw.sh', await run('bash', [etcdRaw, ETCD, '/bench/raw'], {env: baseEnv}), (d) => (d.deleted === '1' ? undefined : 'the key was not deleted')).ms}),
    },
    ...(etcdctlRaw
      ? [{name: CTL, run: async () => ({[CTL]: ok('etcdctl-raw.sh', await run('bash', [etcdctlRaw, etcdctl, ETCD, '/bench/ctl'], {env: baseEnv}), (t) => (t.trim() === '1' ? undefined : 'the key was not deleted')).ms})}]
      : []),
    {name: NODE, run: async () => ({[NODE]: ok('node -e 0', await run(process.execPath, ['-e', '0'], {env: baseEnv})).ms})},
    {
      name: IMPORT,
      run: async () => ({[IMPORT]: ok('import etcd3', await run(process.execPath, ['-e', `require(${JSON.stringify(etcd3Entry)}).Etcd3 || process.exit(1)`], {env: baseEnv})).ms}),
    },
    guarded('none'),
    guarded('file'),
    guarded('etcd'),
  ]
  log(`locks: etcd ${ETCD}; etcdctl ${etcdctl || 'not installed (row skipped)'}`)
  const samples = await interleaved('locks', cases, {rounds: ROUNDS, warmup: WARMUP})

  const v = samples[VERSION]
  const order = [VERSION, LOCK('file'), UNLOCK('file'), BOTH('file'), LOCK('etcd'), UNLOCK('etcd'), BOTH('etcd'), RAW, ...(etcdctlRaw ? [CTL] : []), NODE, IMPORT, GUARD('none'), GUARD('file'), GUARD('etcd')]
  const rows = order.map((m) => {
    const s = stats(samples[m])
    const r = versus(samples[m], v)
    return [m, f0(s.median), f0(s.min), f0(s.p90), f0(s.median - median(v)), m === VERSION ? '**1.00** (baseline)' : `**${f2(r.ratio)}**`, f2(r.paired)]
  })
  const extra = [
    ['lock + unlock: etcd / file', versus(samples[BOTH('etcd')], samples[BOTH('file')])],
    ['lock + unlock, etcd / etcd alone (curl put + delete)', versus(samples[BOTH('etcd')], samples[RAW])],
    ['`dep resolve --frozen`: file / none', versus(samples[GUARD('file')], samples[GUARD('none')])],
    ['`dep resolve --frozen`: etcd / none', versus(samples[GUARD('etcd')], samples[GUARD('none')])],
    ['import etcd3 minus `node -e 0` (ms)', {ratio: median(samples[IMPORT]) - median(samples[NODE]), paired: median(samples[IMPORT].map((x, i) => x - samples[NODE][i])), ms: true}],
  ]
  sections.push(
    `(3) locks (${ROUNDS} rounds after ${WARMUP} warm-up, interleaved)${etcdctlRaw ? '' : '; `etcdctl` is not installed, so its row is skipped'}:\n\n` +
      table(['Command', 'median ms', 'min ms', 'p90 ms', 'minus `--version` ms', '× `--version` (medians)', 'paired'], rows) +
      '\n\n' +
      table(['Comparison', 'medians', 'paired'], extra.map(([label, r]) => [label, r.ms ? f0(r.ratio) : `**${f2(r.ratio)}×**`, r.ms ? f0(r.paired) : `${f2(r.paired)}×`])),
  )
  output.locks = {
    etcd: ETCD,
    etcdctl: etcdctl || null,
    results: Object.fromEntries(Object.entries(samples).map(([m, xs]) => [m, {...stats(xs), samplesMs: xs.map((x) => Number(x.toFixed(3)))}])),
  }
}

// --- (4) concurrent lockers ------------------------------------------------------------------

async function concurrent() {
  for (const name of ['crowd-file', 'crowd-etcd']) await workspace(name)
  const batch = async (argsOf) => {
    const start = process.hrtime.bigint()
    const results = await Promise.all(Array.from({length: LOCKERS}, (_, i) => argsOf(i)))
    return {ms: Number(process.hrtime.bigint() - start) / 1e6, results}
  }
  const VERSIONS = `${LOCKERS} × \`provisioning --version\` at once`
  const LOCKS = (p) => `${LOCKERS} × \`workspace lock\` at once, ${p}`
  const outcomes = {}
  const lockers = (provider) => ({
    name: LOCKS(provider),
    run: async () => {
      const ws = `crowd-${provider}`
      const {ms, results} = await batch((i) => cli(lockEnv(provider, {PROVISIONING_LOCKING__OWNER: `locker-${i}`}), 'workspace', 'lock', ws, '--reason', `locker ${i}`, '--json'))
      const codes = results.map((r) => r.code)
      const winners = results.flatMap((r, i) => (r.code === 0 ? [`locker-${i}`] : []))
      const nines = codes.filter((c) => c === 9).length
      if (winners.length !== 1 || nines !== LOCKERS - 1) {
        const odd = results.find((r) => r.code !== 0 && r.code !== 9) ?? results[0]
        throw failure(`${LOCKERS} concurrent workspace lock (${provider})`, odd, `exit codes ${codes.join(',')}: expected one 0 and ${LOCKERS - 1} × 9`)
      }
      for (const r of results) {
        if (r.code !== 9) continue
        const error = JSON.parse(r.stdout).error
        if (error?.details?.holder?.owner !== winners[0]) throw failure(`${LOCKERS} concurrent workspace lock (${provider})`, r, `a loser does not name the winner ${winners[0]}`)
      }
      ;(outcomes[provider] ??= []).push({winner: winners[0], exit0: 1, exit9: nines})
      // Untimed: release for the next round.
      ok(`workspace unlock --force (${provider})`, await cli(lockEnv(provider), 'workspace', 'unlock', ws, '--force', '--json'), (d) => (d.unlocked ? undefined : 'not unlocked'))
      return {[LOCKS(provider)]: ms}
    },
  })
  const cases = [
    {
      name: VERSIONS,
      run: async () => {
        const {ms, results} = await batch(() => cli(lockEnv('none'), '--version'))
        for (const r of results) ok('--version', r)
        return {[VERSIONS]: ms}
      },
    },
    lockers('file'),
    lockers('etcd'),
  ]
  const samples = await interleaved('concurrent', cases, {rounds: CONCURRENT_ROUNDS, warmup: 0})
  const v = samples[VERSIONS]
  const rows = [VERSIONS, LOCKS('file'), LOCKS('etcd')].map((m) => {
    const s = stats(samples[m])
    const r = versus(samples[m], v)
    const check = m === VERSIONS ? `all ${LOCKERS} exit 0` : `${outcomes[m.endsWith('file') ? 'file' : 'etcd'].length}/${CONCURRENT_ROUNDS} rounds: exactly 1 × exit 0, ${LOCKERS - 1} × exit 9 naming the winner`
    return [m, f0(s.median), f0(s.min), f0(s.max), m === VERSIONS ? '**1.00** (baseline)' : `**${f2(r.ratio)}**`, f2(r.paired), check]
  })
  sections.push(
    `(4) concurrent lockers (${CONCURRENT_ROUNDS} rounds, interleaved, no warm-up; wall time of the whole batch):\n\n` +
      table(['Batch', 'median ms', 'min ms', 'max ms', `× ${LOCKERS} × \`--version\` (medians)`, 'paired', 'checked'], rows),
  )
  output.concurrent = {
    lockers: LOCKERS,
    outcomes,
    results: Object.fromEntries(Object.entries(samples).map(([m, xs]) => [m, {...stats(xs), samplesMs: xs.map((x) => Number(x.toFixed(3)))}])),
  }
}

// --- run ----------------------------------------------------------------------------------------

if (ONLY.has('services')) await services()
if (ONLY.has('locks')) await locks()
if (ONLY.has('concurrent')) await concurrent()

const seconds = (Date.now() - t0) / 1000
const after = os.loadavg().map((x) => Number(x.toFixed(2)))
for (const s of sections) console.log(`${s}\n`)
console.log(
  `node ${machine.node}, ${machine.platform}, ${machine.cpus} × ${machine.cpuModel}; load average ${machine.loadavg.join(' ')} before, ${after.join(' ')} after; ${seconds.toFixed(0)} s`,
)

const git = (...args) => spawnSync('git', ['-C', ROOT, ...args], {encoding: 'utf8'}).stdout.trim()
mkdirSync(RESULTS, {recursive: true})
const json = {
  date: new Date().toISOString(),
  machine: {...machine, loadavgAfter: after},
  code: {commit: git('rev-parse', 'HEAD'), srcChanged: git('status', '--porcelain', 'src') !== ''},
  settings: {parts: [...ONLY], rounds: ROUNDS, warmup: WARMUP, concurrentRounds: CONCURRENT_ROUNDS, lockers: LOCKERS, pollMs: POLL_MS},
  seconds,
  ...output,
}
writeFileSync(path.join(RESULTS, 'platform.json'), `${JSON.stringify(json, null, 2)}\n`)
log(`wrote ${path.relative(ROOT, path.join(RESULTS, 'platform.json'))}`)
