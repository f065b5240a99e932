import {access} from 'node:fs/promises'
import net from 'node:net'

import type {HealthCheck} from './definitions.js'
import {nodeHttp, nodeHttps} from '../util/lazy-builtins.js'
import {isRunning} from './proc.js'

export interface HealthResult {
  healthy: boolean
  /** What was checked and what came back, for people: `GET http://… -> 200`. */
  detail: string
}

const PROBE_TIMEOUT_MS = 2000

/** One probe of a service's health check (no retries: callers poll). */
export async function probeHealth(check: HealthCheck, context: {pid?: number; env: NodeJS.ProcessEnv; cwd: string}): Promise<HealthResult> {
  switch (check.type) {
    case 'http':
      return probeHttp(check.url, check.status)
    case 'tcp':
      return probeTcp(check.host, check.port)
    case 'command':
      return probeCommand(check.command, check.args, context)
    case 'file':
      return access(check.path).then(
        () => ({healthy: true, detail: `${check.path} exists`}),
        () => ({healthy: false, detail: `${check.path} does not exist`}),
      )
    case 'process': {
      const alive = context.pid !== undefined && (await isRunning(context.pid))
      return {healthy: alive, detail: alive ? `process ${context.pid} is alive` : 'process is not running'}
    }
  }
}

function probeHttp(url: string, expected: number): Promise<HealthResult> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? nodeHttps().get : nodeHttp().get
    const request = get(url, {timeout: PROBE_TIMEOUT_MS, agent: false, rejectUnauthorized: false}, (response) => {
      response.resume()
      const status = response.statusCode ?? 0
      resolve({healthy: status === expected, detail: `GET ${url} -> ${status}${status === expected ? '' : ` (expected ${expected})`}`})
    })
    request.on('timeout', () => request.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)))
    request.on('error', (error: NodeJS.ErrnoException) => resolve({healthy: false, detail: `GET ${url}: ${error.code ?? error.message}`}))
  })
}

function probeTcp(host: string, port: number): Promise<HealthResult> {
  return new Promise((resolve) => {
    const socket = net.connect({host, port, timeout: PROBE_TIMEOUT_MS})
    const done = (result: HealthResult) => {
      socket.destroy()
      resolve(result)
    }
    socket.once('connect', () => done({healthy: true, detail: `tcp ${host}:${port} accepts connections`}))
    socket.once('timeout', () => done({healthy: false, detail: `tcp ${host}:${port}: no answer within ${PROBE_TIMEOUT_MS} ms`}))
    socket.once('error', (error: NodeJS.ErrnoException) => done({healthy: false, detail: `tcp ${host}:${port}: ${error.code ?? error.message}`}))
  })
}

async function probeCommand(command: string, args: string[], context: {env: NodeJS.ProcessEnv; cwd: string}): Promise<HealthResult> {
  const {execa} = await import('execa')
  const result = await execa(command, args, {env: context.env, cwd: context.cwd, reject: false, timeout: 10_000, stdin: 'ignore'})
  const shown = [command, ...args].join(' ')
  if (result.exitCode === 0) return {healthy: true, detail: `${shown} exited 0`}
  const output =
    String(result.stderr || result.stdout)
      .trim()
      .split('\n')
      .at(-1) ?? ''
  return {
    healthy: false,
    detail: `${shown} ${result.timedOut ? 'timed out' : result.exitCode === undefined ? `failed: ${result.shortMessage}` : `exited ${result.exitCode}`}${output ? `: ${output}` : ''}`,
  }
}
