import path from 'node:path'

/** Where one service's PID file, log and state record live (SPEC §4: services/{pids,logs,state}). */
interface ServiceFiles {
  pid: string
  log: string
  state: string
}

export class ServicePaths {
  constructor(readonly root: string) {}

  get pids(): string {
    return path.join(this.root, 'pids')
  }

  get logs(): string {
    return path.join(this.root, 'logs')
  }

  get states(): string {
    return path.join(this.root, 'state')
  }

  /** One lock serializes start/stop/restart: two concurrent starts never spawn a service twice. */
  get lock(): string {
    return path.join(this.root, 'platform.lock')
  }

  of(name: string): ServiceFiles {
    return {
      pid: path.join(this.pids, `${name}.pid`),
      log: path.join(this.logs, `${name}.log`),
      state: path.join(this.states, `${name}.json`),
    }
  }
}
