import {mkdtemp, readFile, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {freePort, type Spawned, spawnLogged, stopProcess, trackDir, untrackDir} from './processes.js'

/** Debian's etcd-server (scripts/ensure-deps.sh installs it); override with ETCD_BIN. */
export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd'

export interface EtcdServer {
  /** http://127.0.0.1:PORT, what locking.etcd.endpoints takes. */
  endpoint: string
  port: number
  dataDir: string
  pid: number
  /** Stops the server by PID (SIGTERM, then SIGKILL) and removes its data folder. */
  stop: () => Promise<void>
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/health`, {signal: AbortSignal.timeout(1000)})
    return response.ok && ((await response.json()) as {health?: string}).health === 'true'
  } catch {
    return false
  }
}

/**
 * A single-member etcd on free loopback client and peer ports with a temp data folder,
 * healthy before this resolves. Ports are picked free then released, so a start that
 * lost its port to another process is retried on new ones.
 */
export async function startEtcd(): Promise<EtcdServer> {
  let lastError: Error | undefined
  for (let attempt = 0; attempt < 3; attempt++) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'prov-etcd-'))
    trackDir(dataDir)
    const [port, peer] = [await freePort(), await freePort()]
    const endpoint = `http://127.0.0.1:${port}`
    const peerUrl = `http://127.0.0.1:${peer}`
    const log = path.join(dataDir, 'etcd.log')
    const proc: Spawned = await spawnLogged(
      ETCD_BIN,
      [
        '--name',
        'test',
        '--data-dir',
        path.join(dataDir, 'data'),
        '--listen-client-urls',
        endpoint,
        '--advertise-client-urls',
        endpoint,
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        `test=${peerUrl}`,
        '--initial-cluster-state',
        'new',
      ],
      log,
    )
    const stop = async () => {
      await stopProcess(proc)
      await rm(dataDir, {recursive: true, force: true})
      untrackDir(dataDir)
    }
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline && proc.child.exitCode === null) {
      if (await healthy(endpoint)) return {endpoint, port, dataDir, pid: proc.pid, stop}
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const tail = (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n')
    lastError = new Error(`etcd did not become healthy on ${endpoint}:\n${tail}`)
    await stop()
  }
  throw lastError
}
