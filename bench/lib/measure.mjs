// Wall-clock timing of whole processes, interleaved round-robin so that machine noise
// (2 shared, noisy cores) hits every case alike. No dependencies: node:child_process only.
//
// A case is {name, command, args, cwd?, env?, expect?, exitCode?}; `expect` is a RegExp that
// stdout must match and `exitCode` (default 0) the exit status, both checked on every run, so a
// broken command cannot pass as a fast one.
import {spawnSync} from 'node:child_process'
import os from 'node:os'

import {childrenCpuMs} from './cpu.mjs'

/** Runs one case once; returns elapsed milliseconds or throws with the command's output. */
export function runOnce(c) {
  const start = process.hrtime.bigint()
  const r = spawnSync(c.command, c.args, {
    cwd: c.cwd,
    env: c.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const ok = !r.error && r.status === (c.exitCode ?? 0) && (!c.expect || c.expect.test(r.stdout))
  if (!ok) {
    const why = r.error ? String(r.error) : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`
    throw new Error(
      `bench case "${c.name}" failed: ${why}\n$ ${[c.command, ...c.args].join(' ')}\n` +
        `--- stdout (first 800 chars)\n${(r.stdout ?? '').slice(0, 800)}\n--- stderr (first 800 chars)\n${(r.stderr ?? '').slice(0, 800)}`,
    )
  }
  return ms
}

/**
 * Warm-up rounds, then `runs` rounds; each round runs every case once. The starting case
 * rotates each round so no case always follows the same neighbour.
 * Returns {name: number[]} of samples in ms, in round order (so index i = round i for all).
 */
export function measureInterleaved(cases, {runs, warmup = 3, onRound} = {}) {
  for (let w = 0; w < warmup; w++) for (const c of cases) runOnce(c)
  const samples = Object.fromEntries(cases.map((c) => [c.name, []]))
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(i + k) % cases.length]
      samples[c.name].push(runOnce(c))
    }
    onRound?.(i + 1, runs)
  }
  return samples
}

/** Nearest-rank percentile (p in 0..100) of an unsorted array. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  if (p === 50 && sorted.length % 2 === 0) {
    const m = sorted.length / 2
    return (sorted[m - 1] + sorted[m]) / 2
  }
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[Math.min(rank, sorted.length) - 1]
}

export const median = (values) => percentile(values, 50)

/**
 * Summary per case: median, p90, min, mean; `ratio` = median / baseline median;
 * `pairedRatio` = median over rounds of (sample / baseline sample of the same round),
 * which cancels slow phases of the machine even better than comparing medians.
 */
export function summarize(samples, baselineName) {
  const base = samples[baselineName]
  const baseMedian = median(base)
  const out = {}
  for (const [name, xs] of Object.entries(samples)) {
    out[name] = {
      median: median(xs),
      p90: percentile(xs, 90),
      min: Math.min(...xs),
      mean: xs.reduce((a, b) => a + b, 0) / xs.length,
      ratio: median(xs) / baseMedian,
      pairedRatio: median(xs.map((x, i) => x / base[i])),
    }
  }
  return out
}

const f1 = (x) => x.toFixed(1)
const f2 = (x) => x.toFixed(2)

/** Markdown table; `floorName` (e.g. `node -e 0`) adds a column "median minus the Node floor". */
export function markdownTable(cases, summary, {baselineName, floorName} = {}) {
  const floor = floorName ? summary[floorName].median : undefined
  const head = ['Command', 'median ms', 'p90 ms', 'min ms']
  if (floor !== undefined) head.push('median − node floor ms')
  head.push(`× bare \`--version\` (medians)`, '× bare (paired)')
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`]
  for (const c of cases) {
    const s = summary[c.name]
    const row = [`\`${c.name}\``, f1(s.median), f1(s.p90), f1(s.min)]
    if (floor !== undefined) row.push(f1(s.median - floor))
    row.push(c.name === baselineName ? '**1.00** (baseline)' : f2(s.ratio), f2(s.pairedRatio))
    lines.push(`| ${row.join(' | ')} |`)
  }
  return lines.join('\n')
}

/** What the figures were measured on, for the JSON and the README. */
export function machineInfo() {
  const cpus = os.cpus()
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
  }
}

/**
 * Like measureInterleaved, with the CPU time (user + system) each run's process and children
 * used besides its wall time: `{wall, cpu}`, each `{name: number[]}` in round order. A case's
 * optional `before()` runs ahead of each of its runs, untimed (e.g. emptying a cache).
 */
export function measureWallAndCpu(cases, {rounds, warmup = 1, onRound} = {}) {
  const run = (c) => {
    c.before?.()
    return runOnce(c)
  }
  for (let w = 0; w < warmup; w++) for (const c of cases) run(c)
  const wall = Object.fromEntries(cases.map((c) => [c.name, []]))
  const cpu = Object.fromEntries(cases.map((c) => [c.name, []]))
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(round + k) % cases.length]
      const before = childrenCpuMs()
      wall[c.name].push(run(c))
      cpu[c.name].push(childrenCpuMs() - before)
    }
    onRound?.(round + 1)
  }
  return {wall, cpu}
}
