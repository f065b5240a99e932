// Runs batches of processes and times them as a whole: sequentially (parallel = 1) or
// N at a time (like `xargs -P N`). Every process's exit code, and stdout against an
// optional RegExp, is checked, so a failing command cannot pass as a fast one.
// No dependencies: node:child_process only.
import {Buffer} from 'node:buffer'
import {spawn} from 'node:child_process'
import {clearTimeout, setTimeout} from 'node:timers'

/** One process; resolves with its stdout, rejects with the command and its output. */
export function runProcess(c) {
  return new Promise((resolve, reject) => {
    const child = spawn(c.command, c.args, {cwd: c.cwd, env: c.env, stdio: ['ignore', 'pipe', 'pipe']})
    const out = []
    const err = []
    child.stdout.on('data', (d) => out.push(d))
    child.stderr.on('data', (d) => err.push(d))
    child.once('error', reject)
    child.once('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8')
      if (code === 0 && (!c.expect || c.expect.test(stdout))) return resolve(stdout)
      const stderr = Buffer.concat(err).toString('utf8')
      reject(
        new Error(
          `bench command failed: exit ${code}${signal ? ` (${signal})` : ''}${code === 0 ? ', stdout did not match ' + c.expect : ''}\n` +
            `$ ${[c.command, ...c.args].join(' ')}\n--- stdout (first 800 chars)\n${stdout.slice(0, 800)}\n--- stderr (first 1500 chars)\n${stderr.slice(0, 1500)}`,
        ),
      )
    })
  })
}

/**
 * Runs `jobs` with at most `parallel` at a time; resolves with the wall-clock ms of the whole
 * batch. A job is a command, or an array of commands run one after the other (e.g. a copy
 * then an extraction).
 */
export async function runBatch(jobs, parallel = 1) {
  const start = process.hrtime.bigint()
  let next = 0
  const worker = async () => {
    while (next < jobs.length) {
      for (const c of [jobs[next++]].flat()) await runProcess(c)
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(parallel, jobs.length))}, worker))
  return Number(process.hrtime.bigint() - start) / 1e6
}

/**
 * One process with a time limit: never rejects for the command's own failure. Resolves with
 * {code, signal, stdout, stderr, ms, timedOut}; on timeout the process gets SIGKILL (a
 * resolver stuck in a search does not look at SIGTERM any sooner).
 */
export function runWithTimeout(c, timeoutMs) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(c.command, c.args, {cwd: c.cwd, env: c.env, stdio: ['ignore', 'pipe', 'pipe']})
    const out = []
    const err = []
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.stdout.on('data', (d) => out.push(d))
    child.stderr.on('data', (d) => err.push(d))
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      resolve({code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms, timedOut})
    })
  })
}
