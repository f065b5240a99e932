// Cost of `repo sync` (bench/README.md, "Issue 15"), run through bench/sync.sh. The registry is
// filled over plain HTTP (POST + PUT per blob, PUT per manifest), as `oci push` would leave it:
// an extension config blob, one shared layer and an OCI manifest per version. Then, per round
// and in a fresh home: the first sync, a sync with nothing changed, and a sync after 5 new
// versions. env (set by sync.sh): BENCH_APP, BENCH_WORK, BENCH_REGISTRY.
import {Buffer} from 'node:buffer'
import {createHash} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {performance} from 'node:perf_hooks'

import {RESULTS, RUN_JS, hermeticEnv, intEnv, scratchDirs} from './bench-env.mjs'
import {machineInfo, median} from './measure.mjs'
import {runProcess} from './pool.mjs'

const WORK = process.env.BENCH_WORK
const REGISTRY = process.env.BENCH_REGISTRY
if (!WORK || !REGISTRY) throw new Error('run through bench/sync.sh (BENCH_WORK or BENCH_REGISTRY is not set)')
const EXTENSIONS = intEnv('BENCH_EXTENSIONS', 500, 5)
const VERSIONS = intEnv('BENCH_VERSIONS', 5, 1)
const ROUNDS = intEnv('BENCH_ROUNDS', 3, 1)
const CONCURRENCY = process.env.BENCH_CONCURRENCY ? intEnv('BENCH_CONCURRENCY', 4, 1) : undefined
const NAMESPACE = 'bench'
const NEW_VERSIONS = 5
const log = (line) => process.stderr.write(`bench: ${line}\n`)
const dir = scratchDirs(WORK)

const base = `http://${REGISTRY}`
const sha256 = (data) => `sha256:${createHash('sha256').update(data).digest('hex')}`

async function request(method, url, body, headers = {}) {
  // Node's own fetch (undici): keep-alive, enough for filling a loopback registry.
  const res = await globalThis.fetch(url.startsWith('http') ? url : `${base}${url}`, {method, body, headers, redirect: 'manual'})
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`)
  await res.arrayBuffer()
  return res
}

async function putBlob(repository, data) {
  const digest = sha256(data)
  const started = await request('POST', `/v2/${repository}/blobs/uploads/`)
  const location = new URL(started.headers.get('location'), base)
  location.searchParams.set('digest', digest)
  await request('PUT', location.toString(), data, {'Content-Type': 'application/octet-stream'})
  return {digest, size: data.length}
}

/** One version as `oci push` writes it: config blob (the manifest.yaml as JSON), one layer, the manifest under its tag. */
async function writeVersion(name, version) {
  const repository = `${NAMESPACE}/${name}`
  const configBytes = Buffer.from(
    JSON.stringify({name, type: 'taskserv', version, description: `${name} ${version} for the sync bench`, tags: ['bench', name]}),
  )
  // A layer of its own per version: concurrent uploads of one digest to one repository race in docker-registry.
  const layerBytes = Buffer.from(`${name} ${version}: repo sync reads manifests and configs, never layers\n`)
  const [config, layer] = await Promise.all([putBlob(repository, configBytes), putBlob(repository, layerBytes)])
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.provisioning.extension.v1',
      config: {mediaType: 'application/vnd.provisioning.extension.config.v1+json', ...config},
      layers: [
        {mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer, annotations: {'org.opencontainers.image.title': `${name}-${version}.tar.gz`}},
      ],
      annotations: {'org.opencontainers.image.version': version},
    }),
  )
  await request('PUT', `/v2/${repository}/manifests/${version}`, manifest, {'Content-Type': 'application/vnd.oci.image.manifest.v1+json'})
}

async function writeAll(jobs, parallel = 16) {
  let next = 0
  await Promise.all(
    Array.from({length: parallel}, async () => {
      while (next < jobs.length) await jobs[next++]()
    }),
  )
}

const names = Array.from({length: EXTENSIONS}, (_, e) => `sync-ext${String(e).padStart(4, '0')}`)
const filled = performance.now()
await writeAll(names.flatMap((name) => Array.from({length: VERSIONS}, (_, v) => () => writeVersion(name, `1.${v}.0`))))
log(`wrote ${EXTENSIONS} x ${VERSIONS} versions in ${((performance.now() - filled) / 1000).toFixed(1)} s`)

function cli(home) {
  const env = {
    ...hermeticEnv((kind) => dir('xdg', kind)),
    PROVISIONING_HOME: home,
    PROVISIONING_OCI__TOOL: 'native',
    PROVISIONING_OCI__TLS_ENABLED: 'false',
    PROVISIONING_OCI__REGISTRY: REGISTRY,
    PROVISIONING_OCI__NAMESPACE: NAMESPACE,
    ...(CONCURRENCY ? {PROVISIONING_OCI__CONCURRENCY: String(CONCURRENCY)} : {}),
    DOCKER_CONFIG: dir('docker'),
    CI: '1',
  }
  return {command: process.execPath, args: [RUN_JS, 'repo', 'sync', '--json'], cwd: dir('cwd'), env}
}

/** `provisioning --version` in the same environment: the floor every run pays (Node, oclif). */
async function timedVersion(home) {
  const started = performance.now()
  await runProcess({...cli(home), args: [RUN_JS, '--version']})
  return performance.now() - started
}

/** One timed sync: wall ms and the report of the implicit repository. */
async function timedSync(home) {
  const started = performance.now()
  const doc = JSON.parse(await runProcess(cli(home)))
  const ms = performance.now() - started
  const [report] = doc.repositories
  if (!report?.ok) throw new Error(`repo sync failed: ${JSON.stringify(report)}`)
  const requests = Object.values(report.requests).reduce((a, b) => a + b, 0)
  return {ms, requests, detail: report.requests, versions: report.versions, added: report.added}
}

const cases = ['first', 'unchanged', '5 new']
const samples = Object.fromEntries(cases.map((c) => [c, []]))
const floor = []
for (let round = 0; round < ROUNDS; round++) {
  const home = dir('homes', `round-${round}`)
  floor.push(await timedVersion(home))
  samples.first.push(await timedSync(home))
  samples.unchanged.push(await timedSync(home))
  await writeAll(names.slice(0, NEW_VERSIONS).map((name) => () => writeVersion(name, `2.${round}.0`)))
  const after = await timedSync(home)
  if (after.added !== NEW_VERSIONS) throw new Error(`the sync after ${NEW_VERSIONS} new versions added ${after.added}`)
  samples['5 new'].push(after)
  log(`round ${round + 1}/${ROUNDS}: ${cases.map((c) => `${c} ${Math.round(samples[c][round].ms)} ms`).join(', ')}`)
}

const wall = (c) => median(samples[c].map((s) => s.ms))
// Requests of the first round: later rounds also list the new versions earlier rounds wrote.
const requests = (c) => samples[c][0].requests
const detail = (c) => samples[c][0].detail
const firstWall = wall('first')
const floorWall = median(floor)
console.log(
  `${EXTENSIONS} extensions x ${VERSIONS} versions, ${ROUNDS} rounds, oci.concurrency ${CONCURRENCY ?? 'default (4)'}, load ${machineInfo().loadavg.join(' ')}\n`,
)
console.log(
  '| repo sync | wall median | / first | requests (round 1) | listings + HEAD + manifest GET + config GET | per extension, minus --version |\n|---|---:|---:|---:|---|---:|',
)
for (const c of cases) {
  const d = detail(c)
  console.log(
    `| ${c} | ${Math.round(wall(c))} ms | ${(wall(c) / firstWall).toFixed(2)} | ${requests(c)} | ${d.listings} + ${d.resolves} + ${d.manifests} + ${d.configs} | ${((wall(c) - floorWall) / EXTENSIONS).toFixed(2)} ms |`,
  )
}
console.log(`\n\`provisioning --version\` (the floor of every run): ${Math.round(floorWall)} ms median`)
mkdirSync(RESULTS, {recursive: true})
writeFileSync(
  path.join(RESULTS, 'sync.json'),
  JSON.stringify({machine: machineInfo(), extensions: EXTENSIONS, versions: VERSIONS, rounds: ROUNDS, floor, samples}, null, 2),
)
