import {describe, expect, it} from 'vitest'

import {
  formatHealth,
  formatList,
  formatLog,
  formatRegistryStart,
  formatRegistryStatus,
  formatRestart,
  formatStart,
  formatStatus,
  formatStop,
} from '../../../../src/cli/format/platform.js'
import type {ListedService, ServiceStatus} from '../../../../src/lib/platform/status.js'

const status = (over: Partial<ServiceStatus>): ServiceStatus => ({name: 'svc', state: 'stopped', log: '/h/logs/svc.log', ...over})
const listed = (over: Partial<ListedService>): ListedService => ({
  name: 'svc',
  command: 'svc',
  args: [],
  health: 'tcp :5000',
  dependsOn: [],
  autoStart: false,
  startTimeoutSeconds: 30,
  stopGraceSeconds: 10,
  available: true,
  ...over,
})

describe('platform formatters', () => {
  it('formatStart: started or already running, pid, port, time to healthy in ms or s; nothing to start', () => {
    expect(
      formatStart({
        requested: [],
        order: [],
        services: [
          {name: 'etcd', action: 'started', pid: 10, port: 2379, healthyAfterMs: 350, health: 'ok'},
          {name: 'registry', action: 'started', pid: 11, healthyAfterMs: 2500, health: 'ok'},
          {name: 'dns', action: 'already-running', pid: 12, health: 'ok'},
        ],
      }).split('\n'),
    ).toEqual(['started etcd (pid 10, port 2379, healthy after 350 ms)', 'started registry (pid 11, healthy after 2.5 s)', 'already running dns (pid 12)'])
    expect(formatStart({requested: [], order: [], services: []})).toBe('no services to start (none requested and none has auto_start = true)')
  })

  it('formatStop and formatRestart: each action in words; nothing running', () => {
    const stopped = {
      order: [],
      services: [
        {name: 'a', action: 'stopped' as const, pid: 1},
        {name: 'b', action: 'killed' as const, pid: 2},
        {name: 'c', action: 'not-running' as const},
        {name: 'd', action: 'cleaned' as const, orphansStopped: 2},
      ],
    }
    expect(formatStop(stopped).split('\n')).toEqual([
      'a: stopped (pid 1)',
      'b: killed (did not stop within its grace period) (pid 2)',
      'c: not running',
      'd: was dead; cleaned its stale PID file; stopped 2 process(es) it had left running',
    ])
    expect(formatStop({order: [], services: []})).toBe('no services running')
    expect(
      formatRestart({
        stopped: {order: [], services: []},
        started: {requested: [], order: [], services: [{name: 'a', action: 'started', pid: 3, health: 'ok'}]},
      }),
    ).toBe('no services running\nstarted a (pid 3)')
  })

  it('formatStatus: state, uptime, health or why; install hints below the table; nothing defined', () => {
    const text = formatStatus({
      services: [
        status({name: 'etcd', state: 'running', pid: 10, port: 2379, uptimeSeconds: 3 * 86_400 + 7200, healthy: true, health: 'ok'}),
        status({name: 'registry', state: 'running', pid: 11, uptimeSeconds: 3725, healthy: false, health: 'HTTP 500'}),
        status({name: 'dead-one', state: 'dead', reason: 'exited 1'}),
        status({name: 'zot', state: 'unavailable', install: 'apt install zot'}),
      ],
    })
    const lines = text.split('\n')
    expect(lines[0]).toMatch(/^SERVICE\s+STATE\s+PID\s+PORT\s+UPTIME\s+HEALTH$/)
    expect(lines[1]).toMatch(/^etcd\s+running\s+10\s+2379\s+3d2h\s+ok$/)
    expect(lines[2]).toMatch(/^registry\s+running \(unhealthy\)\s+11\s+1h2m\s+HTTP 500$/)
    expect(lines[3]).toMatch(/^dead-one\s+dead\s+exited 1$/)
    expect(lines[4]).toMatch(/^zot\s+unavailable\s+not installed$/)
    expect(text.endsWith('\n\nto install:\n  zot: apt install zot')).toBe(true)
    expect(formatStatus({services: []})).toBe('no services defined (add [platform.services.<name>] to config.user.toml)')
  })

  it('formatHealth: one line per healthy service; none to check', () => {
    expect(formatHealth({healthy: true, services: [status({name: 'a', state: 'running', healthy: true, health: 'tcp ok'})]})).toBe('a: healthy (tcp ok)')
    expect(formatHealth({healthy: true, services: []})).toBe('no services to check (none running, none with auto_start)')
  })

  it('formatList: the binary or command, never the arguments (they may carry secrets)', () => {
    const text = formatList({
      services: [
        listed({name: 'etcd', binary: '/usr/bin/etcd', command: 'etcd', args: ['--auth-token=s3cret'], dependsOn: ['dns', 'ntp'], autoStart: true, port: 2379}),
        listed({name: 'zot', command: 'zot', available: false, install: 'apt install zot'}),
      ],
    })
    expect(text).not.toContain('s3cret')
    const lines = text.split('\n')
    expect(lines[1]).toMatch(/^etcd\s+yes\s+2379\s+dns,ntp\s+yes\s+tcp :5000\s+\/usr\/bin\/etcd$/)
    expect(lines[2]).toMatch(/^zot\s+no\s+-\s+no\s+tcp :5000\s+zot$/)
    expect(text.endsWith('to install:\n  zot: apt install zot')).toBe(true)
    expect(formatList({services: []})).toBe('no services defined (add [platform.services.<name>] to config.user.toml)')
  })

  it('formatLog: the lines as they are; an empty log is empty', () => {
    expect(formatLog({name: 'a', file: '/f', size: 10, lines: ['one', 'two']})).toBe('one\ntwo')
    expect(formatLog({name: 'a', file: '/f', size: 0, lines: []})).toBe('')
  })

  it('formatRegistryStart and formatRegistryStatus: the address, flavor and storage; no binary says what to install', () => {
    const registry = {address: 'localhost:5000', url: 'http://localhost:5000', storage: '/h/registry'}
    expect(formatRegistryStart({requested: [], order: [], services: [{name: 'oci-registry', action: 'started', pid: 5, health: 'ok'}], registry})).toBe(
      'started oci-registry (pid 5)\nregistry: localhost:5000 (registry, storage /h/registry); "oci push" with default settings lands here',
    )
    const text = formatRegistryStatus({...status({name: 'oci-registry', state: 'dead', reason: 'exited 2'}), registry})
    expect(text.split('\n')).toEqual([
      'state:   dead',
      'address: localhost:5000',
      'binary:  none found (install docker-registry or zot)',
      'health:  exited 2',
      'storage: /h/registry',
      'log:     /h/logs/svc.log',
    ])
  })
})
