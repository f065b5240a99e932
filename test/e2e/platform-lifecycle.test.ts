import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readFile, rm, writeFile} from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliBin, json, runCli} from '../helpers/cli.js'
import {alive, killRecordedServices, realPython, waitFor} from '../helpers/platform.js'
import {freePort} from '../helpers/processes.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * Platform lifecycle with real processes: small python3 http.server services on free
 * loopback ports, started detached by the built CLI, checked through /proc and by PID.
 */
interface ServiceJson {
  name: string
  state: string
  pid?: number
  healthy?: boolean
  reason?: string
}

interface Record {
  pid: number
  startedAt: string
  healthyAt?: string
}

describe('platform lifecycle (python http.server services)', () => {
  let box: Sandbox
  let python: string
  const ports: {[name: string]: number} = {}
  const strays: number[] = []
  const cli = (...args: string[]) => runCli([...args], {env: box.env})
  const status = async (...names: string[]) => json<{services: ServiceJson[]}>(await cli('platform', 'status', ...names, '--json')).services
  const pidOf = async (name: string) => (await status(name))[0].pid as number
  const record = async (name: string) => JSON.parse(await readFile(path.join(box.home, 'services', 'state', `${name}.json`), 'utf8')) as Record
  const pidFile = (name: string) => path.join(box.home, 'services', 'pids', `${name}.pid`)

  beforeAll(async () => {
    box = await sandbox()
    python = await realPython()
    for (const name of ['a', 'b', 'c', 'taken', 'registry', 'forky']) ports[name] = await freePort()
    const server = (name: string, extra = '') => `
[platform.services.${name}]
command = "${python}"
args = ["-m", "http.server", "${ports[name]}", "--bind", "127.0.0.1"]
port = ${ports[name]}
start_timeout_seconds = 20
stop_grace_seconds = 5
${extra}
[platform.services.${name}.health]
type = "http"
url = "http://127.0.0.1:${ports[name]}/"
`
    await writeFile(
      path.join(box.home, 'config.user.toml'),
      `
[platform.services.oci-registry]
port = ${ports.registry}
auto_start = false
${server('a')}
${server('b', 'depends_on = ["a"]')}
${server('c', 'depends_on = ["b"]')}
${server('taken')}
# Starts the server in the background and exits after a second: the leader dies, the child serves on.
[platform.services.forky]
command = "/bin/sh"
args = ["-c", "${python} -m http.server ${ports.forky} --bind 127.0.0.1 & sleep 1; exit 0"]
port = ${ports.forky}
start_timeout_seconds = 20
stop_grace_seconds = 5
[platform.services.forky.health]
type = "http"
url = "http://127.0.0.1:${ports.forky}/"
# Prints a line, never opens its port: never healthy.
[platform.services.never]
command = "${python}"
args = ["-u", "-c", "import time; print('boom: cannot open the database'); time.sleep(300)"]
port = ${await freePort()}
depends_on = ["a"]
start_timeout_seconds = 2
stop_grace_seconds = 2

# No port, no health check: healthy while alive.
[platform.services.adoptee]
command = "/bin/sleep"
args = ["301"]

[platform.services.missing]
command = "no-such-binary-for-provisioning-tests"
install = "apt-get install no-such-package"
`,
    )
  })

  afterAll(async () => {
    await killRecordedServices(box.home, strays)
    await box.cleanup()
  })

  it('lists definitions with availability and what to install', async () => {
    const result = await cli('platform', 'list', '--json')
    expect(result.exitCode).toBe(0)
    const services = json<{services: Array<{name: string; available: boolean; install?: string; dependsOn: string[]}>}>(result).services
    expect(services.find((s) => s.name === 'c')).toMatchObject({available: true, dependsOn: ['b']})
    expect(services.find((s) => s.name === 'missing')).toMatchObject({available: false, install: 'apt-get install no-such-package'})
    expect((await status('missing'))[0].state).toBe('unavailable')
    const human = await cli('platform', 'list')
    expect(human.stdout).toContain('missing: apt-get install no-such-package')
  })

  it('starting an unavailable service exits 4 with the install hint', async () => {
    const result = await cli('platform', 'start', 'missing', '--json')
    expect(result.exitCode).toBe(4)
    const error = json<{error: {message: string; hint: string}}>(result).error
    expect(error.message).toContain('no-such-binary-for-provisioning-tests')
    expect(error.hint).toBe('apt-get install no-such-package')
  })

  it('starts c -> b -> a as a, b, c, each healthy before the next starts, detached from the CLI', async () => {
    const result = await cli('platform', 'start', 'c', '--json')
    expect(result.exitCode, result.stderr + result.stdout).toBe(0)
    const started = json<{order: string[]; services: Array<{name: string; action: string; pid: number}>}>(result)
    expect(started.order).toEqual(['a', 'b', 'c'])
    expect(started.services.map((s) => [s.name, s.action])).toEqual([
      ['a', 'started'],
      ['b', 'started'],
      ['c', 'started'],
    ])
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(record))
    expect(Date.parse(a.healthyAt as string)).toBeLessThanOrEqual(Date.parse(b.startedAt))
    expect(Date.parse(b.healthyAt as string)).toBeLessThanOrEqual(Date.parse(c.startedAt))
    // The CLI has exited; the services still run and answer.
    for (const s of started.services) expect(alive(s.pid)).toBe(true)
    const states = await status('a', 'b', 'c')
    expect(states.map((s) => [s.name, s.state, s.healthy])).toEqual([
      ['a', 'running', true],
      ['b', 'running', true],
      ['c', 'running', true],
    ])
    const health = await cli('platform', 'health', 'a', 'b', 'c')
    expect(health.exitCode).toBe(0)
  })

  it('leaves healthy running services alone', async () => {
    const before = await pidOf('b')
    const result = await cli('platform', 'start', 'b', '--json')
    expect(result.exitCode).toBe(0)
    expect(json<{services: Array<{name: string; action: string; pid: number}>}>(result).services).toEqual([
      expect.objectContaining({name: 'a', action: 'already-running'}),
      expect.objectContaining({name: 'b', action: 'already-running', pid: before}),
    ])
  })

  it('shows the last lines of a log and follows it', async () => {
    const lines = await cli('platform', 'logs', 'a', '--lines', '2', '--json')
    expect(lines.exitCode).toBe(0)
    expect(json<{lines: string[]}>(lines).lines).toHaveLength(2)
    const follower = spawn('node', [cliBin, 'platform', 'logs', 'a', '--follow', '--lines', '1'], {
      env: {...process.env, ...box.env},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      let seen = ''
      follower.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()))
      // The last line arrives first: from then on the follower is watching.
      await waitFor(() => seen.length > 0, 30_000)
      for (const marker of ['/follow-one', '/follow-two']) await httpGet(`http://127.0.0.1:${ports.a}${marker}`)
      await waitFor(() => seen.includes('/follow-one') && seen.includes('/follow-two'), 15_000)
    } finally {
      await kill(follower)
    }
  })

  it('reports a port held by another process before starting anything', async () => {
    const holder = net.createServer()
    await new Promise<void>((resolve) => holder.listen(ports.taken, '127.0.0.1', resolve))
    try {
      const result = await cli('platform', 'start', 'taken', '--json')
      expect(result.exitCode).toBe(9)
      expect(json<{error: {message: string}}>(result).error.message).toContain(`port ${ports.taken}`)
      expect(existsSync(pidFile('taken'))).toBe(false)
      expect(existsSync(path.join(box.home, 'services', 'logs', 'taken.log'))).toBe(false)
    } finally {
      await new Promise((resolve) => holder.close(resolve))
    }
  })

  it('a service that never gets healthy fails the start with its log tail; what was already running stays', async () => {
    const aBefore = await pidOf('a')
    const result = await cli('platform', 'start', 'never', '--json')
    // The whole answer on failure: once (CI, load ~7) this exited 9, a lock wait, and said no more.
    expect(result.exitCode, result.stdout + result.stderr).toBe(10)
    const error = json<{error: {message: string; details: {stopped: Array<{name: string; pid: number}>}}}>(result).error
    expect(error.message).toContain('never did not become healthy within 2s')
    expect(error.message).toContain('boom: cannot open the database')
    expect(error.details.stopped.map((s) => s.name)).toEqual(['never'])
    for (const s of error.details.stopped) expect(alive(s.pid)).toBe(false)
    expect(await pidOf('a')).toBe(aBefore)
    expect(alive(aBefore)).toBe(true)
    expect((await status('never'))[0].state).toBe('stopped')
  })

  it('stops dependents first: stopping a stops c, b, a', async () => {
    const pids = await Promise.all(['a', 'b', 'c'].map(pidOf))
    const result = await cli('platform', 'stop', 'a', '--json')
    expect(result.exitCode).toBe(0)
    const stopped = json<{order: string[]; services: Array<{name: string; action: string}>}>(result)
    expect(stopped.order).toEqual(['c', 'b', 'a'])
    expect(stopped.services.map((s) => s.action)).toEqual(['stopped', 'stopped', 'stopped'])
    for (const pid of pids) expect(alive(pid)).toBe(false)
    expect((await status('a', 'b', 'c')).map((s) => s.state)).toEqual(['stopped', 'stopped', 'stopped'])
  })

  it('a failed start stops everything that call started (dependencies included)', async () => {
    const result = await cli('platform', 'start', 'never', '--json')
    expect(result.exitCode).toBe(10)
    const stopped = json<{error: {details: {stopped: Array<{name: string; pid: number}>}}}>(result).error.details.stopped
    expect(stopped.map((s) => s.name)).toEqual(['never', 'a'])
    for (const s of stopped) expect(alive(s.pid)).toBe(false)
    expect((await status('a', 'never')).map((s) => s.state)).toEqual(['stopped', 'stopped'])
  })

  it('a service killed from outside is dead, its stale PID file cleaned', async () => {
    expect((await cli('platform', 'start', 'a')).exitCode).toBe(0)
    const pid = await pidOf('a')
    process.kill(pid, 'SIGKILL')
    await waitFor(() => !alive(pid))
    const [a] = await status('a')
    expect(a).toMatchObject({name: 'a', state: 'dead', pid})
    expect(a.reason).toContain(`process ${pid} is gone`)
    expect(existsSync(pidFile('a'))).toBe(false)
    // It stays "dead" until someone starts or stops it.
    expect((await status('a'))[0].state).toBe('dead')
    const health = await cli('platform', 'health', 'a', '--json')
    expect(health.exitCode).toBe(10)
    const stop = json<{services: Array<{action: string}>}>(await cli('platform', 'stop', 'a', '--json'))
    expect(stop.services).toEqual([expect.objectContaining({action: 'cleaned'})])
    expect((await status('a'))[0].state).toBe('stopped')
  })

  it('a dead service whose children still run: stop stops them too (they would hold its port)', async () => {
    expect((await cli('platform', 'start', 'forky')).exitCode).toBe(0)
    const pid = await pidOf('forky')
    await waitFor(() => !alive(pid))
    expect(await httpGet(`http://127.0.0.1:${ports.forky}/`)).toBe(200)
    expect((await status('forky'))[0].state).toBe('dead')
    const stop = json<{services: Array<{action: string; orphansStopped?: number}>}>(await cli('platform', 'stop', 'forky', '--json'))
    expect(stop.services).toEqual([expect.objectContaining({name: 'forky', action: 'cleaned', orphansStopped: 1})])
    await expect(httpGet(`http://127.0.0.1:${ports.forky}/`)).rejects.toThrow()
    // The port is free again: a new start works.
    expect((await cli('platform', 'start', 'forky')).exitCode).toBe(0)
    const again = await pidOf('forky')
    await waitFor(() => !alive(again))
    expect((await cli('platform', 'stop', 'forky')).stdout).toContain('stopped 1 process(es) it had left running')
  })

  it('a PID reused by an unrelated process is not mistaken for the service, and is never signalled', async () => {
    const sleeper = await execaSleep()
    strays.push(sleeper)
    // A hand-written PID file without a record: only the command line could vouch for it.
    await writeFile(pidFile('b'), `${sleeper}\n`)
    const [b] = await status('b')
    expect(b.state).toBe('dead')
    expect(b.reason).toContain(`PID ${sleeper}`)
    expect(existsSync(pidFile('b'))).toBe(false)

    // A record of the real service whose PID now belongs to the sleeper (same PID, other start time).
    expect((await cli('platform', 'start', 'a')).exitCode).toBe(0)
    const real = await record('a')
    process.kill(real.pid, 'SIGKILL')
    await waitFor(() => !alive(real.pid))
    await writeFile(path.join(box.home, 'services', 'state', 'a.json'), JSON.stringify({...real, pid: sleeper, pgid: sleeper}))
    await writeFile(pidFile('a'), `${sleeper}\n`)
    expect((await status('a'))[0]).toMatchObject({state: 'dead', pid: sleeper})
    expect((await cli('platform', 'stop', '--json')).exitCode).toBe(0)
    // Starting again really starts a fresh process.
    const started = json<{services: Array<{action: string; pid: number}>}>(await cli('platform', 'start', 'a', '--json'))
    expect(started.services[0].action).toBe('started')
    expect(started.services[0].pid).not.toBe(sleeper)
    expect(alive(sleeper)).toBe(true)
    expect((await cli('platform', 'stop')).exitCode).toBe(0)
    expect(alive(sleeper)).toBe(true)
    process.kill(sleeper, 'SIGKILL')
  })

  it('a hand-written PID file of a process with the exact command line is adopted, and stop signals only that process', async () => {
    const sleeper = spawn('/bin/sleep', ['301'], {stdio: 'ignore'})
    const pid = sleeper.pid as number
    strays.push(pid)
    try {
      await writeFile(pidFile('adoptee'), `${pid}\n`)
      expect((await status('adoptee'))[0]).toMatchObject({state: 'running', pid, healthy: true})
      const stopped = json<{services: Array<{name: string; action: string}>}>(await cli('platform', 'stop', 'adoptee', '--json'))
      expect(stopped.services).toEqual([{name: 'adoptee', action: 'stopped', pid}])
      await waitFor(() => sleeper.exitCode !== null || sleeper.signalCode !== null)
      expect(sleeper.signalCode).toBe('SIGTERM')
    } finally {
      sleeper.kill('SIGKILL')
    }
  })

  it('restart gives a new process; stop with no names stops everything running', async () => {
    expect((await cli('platform', 'start', 'b')).exitCode).toBe(0)
    const before = await pidOf('a')
    const restarted = await cli('platform', 'restart', 'a', '--json')
    expect(restarted.exitCode, restarted.stderr).toBe(0)
    const doc = json<{stopped: {order: string[]}; started: {order: string[]}}>(restarted)
    expect(doc.stopped.order).toEqual(['b', 'a'])
    expect(doc.started.order).toEqual(['a', 'b'])
    expect(await pidOf('a')).not.toBe(before)
    const stopped = json<{order: string[]}>(await cli('platform', 'stop', '--json'))
    expect(stopped.order).toEqual(['b', 'a'])
    expect((await status()).filter((s) => s.state === 'running')).toEqual([])
  })

  it('two concurrent starts of one service start it once', async () => {
    const [one, two] = await Promise.all([cli('platform', 'start', 'a', '--json'), cli('platform', 'start', 'a', '--json')])
    expect([one.exitCode, two.exitCode]).toEqual([0, 0])
    const actions = [one, two].map((r) => json<{services: Array<{action: string; pid: number}>}>(r).services[0])
    expect(actions.map((a) => a.action).sort()).toEqual(['already-running', 'started'])
    expect(actions[0].pid).toBe(actions[1].pid)
    expect((await cli('platform', 'stop')).exitCode).toBe(0)
    await rm(path.join(box.home, 'services', 'logs'), {recursive: true, force: true})
  })
})

async function execaSleep(): Promise<number> {
  const child = execa('sleep', ['300'], {detached: true, stdio: 'ignore', reject: false})
  child.unref()
  return child.pid as number
}

function httpGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      .on('error', reject)
  })
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}
