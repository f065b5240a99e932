// `oci package` with and without a large .git (bench/package-ignore.sh). The fixtures are
// three copies of one extension: without .git, with .git (left out by the default rules),
// and with .git re-included by `!.git/` (the cost the rules save). The first two must give
// the same digest, checked before timing.
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {machineInfo, markdownTable, measureInterleaved, summarize} from './measure.mjs'

const WORK = process.env.BENCH_WORK
const APP = process.env.BENCH_APP
const RUNS = Number(process.env.BENCH_RUNS ?? 10)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2)
const GIT_FILES = Number(process.env.BENCH_GIT_FILES ?? 2000)
const GIT_PACK_MB = Number(process.env.BENCH_GIT_PACK_MB ?? 20)

function write(file, data) {
  mkdirSync(path.dirname(file), {recursive: true})
  writeFileSync(file, data)
}

/** An extension of 40 small files across the standard folders. */
function extension(dir) {
  write(path.join(dir, 'manifest.yaml'), 'name: bigit\ntype: taskserv\nversion: "1.0.0"\ndescription: packaging benchmark\nlicense: Apache-2.0\n')
  for (let i = 0; i < 10; i++) {
    for (const folder of ['kcl', 'scripts', 'templates', 'docs']) write(path.join(dir, folder, `file-${i}.txt`), `${folder} ${i}\n`.repeat(40))
  }
}

/** A .git like a real clone's: many loose objects and one large (incompressible) pack. */
function gitFolder(dir) {
  for (let i = 0; i < GIT_FILES; i++) write(path.join(dir, '.git', 'objects', (i % 256).toString(16).padStart(2, '0'), `obj-${i}`), randomBytes(200))
  write(path.join(dir, '.git', 'objects', 'pack', 'pack-bench.pack'), randomBytes(GIT_PACK_MB * 1024 * 1024))
  write(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n')
}

const without = path.join(WORK, 'without-git', 'bigit')
const withGit = path.join(WORK, 'with-git', 'bigit')
const packed = path.join(WORK, 'git-packed', 'bigit')
for (const dir of [without, withGit, packed]) extension(dir)
gitFolder(withGit)
gitFolder(packed)
write(path.join(packed, '.provisioningignore'), '!.git/\n')

const env = {...process.env, PROVISIONING_HOME: path.join(WORK, 'home'), NO_COLOR: '1'}
const out = (name) => path.join(WORK, 'out', name)
const packageCase = (name, dir) => {
  mkdirSync(out(name), {recursive: true})
  return {name, command: process.execPath, args: [path.join(APP, 'bin', 'run.js'), 'oci', 'package', dir, '--output', out(name), '--json'], env, expect: /"digest"/}
}
const cases = [
  packageCase('oci package (no .git)', without),
  packageCase('oci package (.git excluded by default)', withGit),
  packageCase('oci package (.git packed: !.git/)', packed),
]

const digest = (c) => JSON.parse(spawnSync(c.command, c.args, {env, encoding: 'utf8'}).stdout)
const [a, b, c] = cases.map(digest)
if (a.digest !== b.digest) throw new Error(`the default rules changed the digest: ${a.digest} vs ${b.digest}`)
console.error(`bench: digests equal with and without .git (${a.digest}); sizes ${a.size} B vs ${c.size} B with .git packed`)

const samples = measureInterleaved(cases, {runs: RUNS, warmup: WARMUP, onRound: (i, n) => console.error(`bench: round ${i}/${n}`)})
const summary = summarize(samples, cases[0].name)
const table = markdownTable(cases, summary, {baselineName: cases[0].name}).replaceAll('× bare `--version` (medians)', '× no .git (medians)').replaceAll('× bare (paired)', '× no .git (paired)')
console.log(`${GIT_FILES} files + a ${GIT_PACK_MB} MB pack under .git; ${RUNS} interleaved runs\n\n${table}\n\narchive: ${a.size} B without .git, ${c.size} B with .git packed`)
write(path.join(process.cwd(), 'bench', 'results', 'package-ignore.json'), JSON.stringify({machine: machineInfo(), gitFiles: GIT_FILES, gitPackMB: GIT_PACK_MB, runs: RUNS, sizes: {withoutGit: a.size, gitPacked: c.size}, summary, samples}, null, 2))
