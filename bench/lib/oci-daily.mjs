// Daily-use OCI benchmark (issue 12): `oci tag` against `skopeo copy` to a new tag on one
// local docker-registry, and whether terminal progress slows a large push (a pty via
// util-linux script, against the same push with --quiet in the same pty). Run through
// bench/oci-daily.sh, which starts the registry.
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {RESULTS, RUN_JS, hermeticEnv, intEnv, scratchDirs} from './bench-env.mjs'
import {machineInfo, measureInterleaved, median, runOnce, summarize} from './measure.mjs'
import {writeRandomFile} from './oci-fixtures.mjs'

const REGISTRY = process.env.BENCH_REGISTRY
const WORK = process.env.BENCH_WORK
if (!REGISTRY || !WORK) throw new Error('run through bench/oci-daily.sh (BENCH_REGISTRY and BENCH_WORK are not set)')
const ROUNDS = intEnv('BENCH_ROUNDS', 10, 1)
const LARGE_ROUNDS = intEnv('BENCH_LARGE_ROUNDS', 5, 1)
const WARMUP = intEnv('BENCH_WARMUP', 1)
const LARGE_MB = intEnv('BENCH_LARGE_MB', 50, 1)
const NAMESPACE = 'daily'

const log = (msg) => process.stderr.write(`${msg}\n`)
const dir = scratchDirs(WORK)
const cwd = dir('cwd')
// No CI variable: progress is drawn only outside CI (base-command.ts withTransfer).
const env = {
  ...hermeticEnv((name) => dir('xdg', name)),
  PROVISIONING_HOME: dir('home'),
  PROVISIONING_OCI__REGISTRY: REGISTRY,
  PROVISIONING_OCI__NAMESPACE: NAMESPACE,
  PROVISIONING_OCI__TOOL: 'native',
  PROVISIONING_OCI__TLS_ENABLED: 'false',
}
delete env.CI
const cli = (name, args, extra = {}) => ({name, command: process.execPath, args: [RUN_JS, ...args], cwd, env: {...env, ...extra}})
const quote = (word) => `'${word.replaceAll("'", String.raw`'\''`)}'`
/** The command in a pty of 120×40 (util-linux script), stdout to /dev/null: only stderr draws. */
const inPty = (name, args, extra = {}) => ({
  name,
  command: 'script',
  args: ['-qec', `stty cols 120 rows 40; exec ${[process.execPath, RUN_JS, ...args].map(quote).join(' ')} > /dev/null`, '/dev/null'],
  cwd,
  env: {...env, ...extra},
})

function extension(name, files) {
  const folder = dir('fixtures', name)
  writeFileSync(path.join(folder, 'manifest.yaml'), `name: ${name}\nversion: 1.0.0\ntype: taskserv\ndescription: ${name} for the daily bench\nlicense: Apache-2.0\n`)
  for (const [file, write] of Object.entries(files)) write(path.join(folder, file))
  return folder
}

const small = extension('daily-small', {'install.sh': (file) => writeFileSync(file, 'echo small\n')})
const large = extension('daily-large', {'payload.bin': (file) => writeRandomFile(file, LARGE_MB * 1024 * 1024)})
runOnce(cli('setup push', ['oci', 'push', small, '--json'], {}))

// --- oci tag vs skopeo copy :1.0.0 → :new ---------------------------------------------
const source = `docker://${REGISTRY}/${NAMESPACE}/daily-small:1.0.0`
const tagCases = [
  {...cli('provisioning oci tag daily-small:1.0.0 stable', ['oci', 'tag', 'daily-small:1.0.0', 'stable', '--json']), expect: /"tag": "stable"/},
  // The start-up floor: what any provisioning command costs before it does anything.
  {...cli('provisioning --version', ['--version']), expect: /provisioning/},
  {name: 'skopeo copy docker://…:1.0.0 docker://…:stable-skopeo', command: 'skopeo', args: ['--insecure-policy', 'copy', '--src-tls-verify=false', '--dest-tls-verify=false', source, source.replace(':1.0.0', ':stable-skopeo')], cwd, env: process.env},
]
log(`tag: ${ROUNDS} rounds (+${WARMUP} warm-up)`)
const tagSamples = measureInterleaved(tagCases, {runs: ROUNDS, warmup: WARMUP})
const tagSummary = summarize(tagSamples, tagCases[2].name)

// --- large push: terminal progress vs --quiet (both in a pty) --------------------------
// Each push goes to a repository of its own, so the layer is really sent every time.
let pushes = 0
const largePush = (quiet) => inPty(quiet ? 'oci push (pty, --quiet)' : 'oci push (pty, progress)', ['oci', 'push', large, ...(quiet ? ['--quiet'] : [])], {PROVISIONING_OCI__NAMESPACE: `${NAMESPACE}-${++pushes}`})
log(`large push: ${LARGE_MB} MB, ${LARGE_ROUNDS} rounds (+${WARMUP} warm-up)`)
for (let i = 0; i < WARMUP; i++) runOnce(largePush(false))
const pushSamples = {'oci push (pty, progress)': [], 'oci push (pty, --quiet)': []}
for (let i = 0; i < LARGE_ROUNDS; i++) {
  const order = i % 2 === 0 ? [false, true] : [true, false]
  for (const quiet of order) {
    const c = largePush(quiet)
    pushSamples[c.name].push(runOnce(c))
  }
}
const pushSummary = summarize(pushSamples, 'oci push (pty, --quiet)')

// --- report ---------------------------------------------------------------------------
const f0 = (x) => x.toFixed(0)
const f2 = (x) => x.toFixed(2)
const table = (title, summary, baseline) => {
  const lines = [`### ${title}`, '', '| Command | median ms | p90 ms | min ms | × baseline (medians) | × baseline (paired) |', '| --- | ---: | ---: | ---: | ---: | ---: |']
  for (const [name, s] of Object.entries(summary)) lines.push(`| \`${name}\` | ${f0(s.median)} | ${f0(s.p90)} | ${f0(s.min)} | ${name === baseline ? '**1.00** (baseline)' : f2(s.ratio)} | ${f2(s.pairedRatio)} |`)
  return lines.join('\n')
}
const machine = machineInfo()
console.log(table(`oci tag vs skopeo copy to a new tag (${ROUNDS} rounds)`, tagSummary, tagCases[2].name))
console.log('')
console.log(table(`${LARGE_MB} MB push: terminal progress vs --quiet (${LARGE_ROUNDS} rounds)`, pushSummary, 'oci push (pty, --quiet)'))
console.log('')
console.log(`machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.node}, load ${machine.loadavg.join(' ')}`)
mkdirSync(RESULTS, {recursive: true})
writeFileSync(path.join(RESULTS, 'oci-daily.json'), `${JSON.stringify({machine, rounds: ROUNDS, largeRounds: LARGE_ROUNDS, largeMb: LARGE_MB, tag: {samples: tagSamples, summary: tagSummary}, push: {samples: pushSamples, summary: pushSummary}, medianTagMs: median(tagSamples[tagCases[0].name])}, null, 2)}\n`)
