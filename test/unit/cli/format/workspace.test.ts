import {describe, expect, it} from 'vitest'

import {formatCleanup, formatInfo, formatInit, formatList, formatLock, formatLockStatus, formatUnlock} from '../../../../src/cli/format/workspace.js'
import type {WorkspaceInfo} from '../../../../src/lib/workspace/info.js'
import type {LockRecord} from '../../../../src/lib/workspace/lock/record.js'

const LONG_PATH = `/srv/${'deeply/nested/'.repeat(8)}workspace`
const holder: LockRecord = {workspace: 'prod', owner: 'alice', host: 'build-1', pid: 4242, since: '2026-01-01T10:00:00Z', provider: 'file'}

const info = (over: Partial<WorkspaceInfo> = {}): WorkspaceInfo => ({
  name: 'prod',
  path: '/ws/prod',
  registered: true,
  active: true,
  mode: 'solo',
  infras: [],
  config: {workspace: '/ws/prod/config/provisioning.yaml', lockfile: '/ws/prod/config/provisioning.lock', lockfilePresent: false},
  extensions: [],
  lock: {locked: false, provider: 'file', location: '/ws/prod/.provisioning/lock'},
  ...over,
})

describe('workspace formatters', () => {
  it('formatList: the active one starred, a missing folder said; no workspaces says how to make one', () => {
    const lines = formatList({
      active: 'prod',
      workspaces: [
        {name: 'prod', path: '/ws/prod', active: true, exists: true},
        {name: 'old', path: LONG_PATH, active: false, exists: false},
      ],
    }).split('\n')
    expect(lines[0]).toMatch(/^\s+NAME\s+PATH\s+STATUS$/)
    expect(lines[1]).toMatch(/^\*\s+prod\s+\/ws\/prod\s+ok$/)
    expect(lines[2]).toContain(`${LONG_PATH}  missing folder`)
    expect(lines[1].indexOf('ok')).toBe(lines[2].indexOf('missing folder'))
    expect(formatList({workspaces: []})).toBe('no workspaces registered (create one with "provisioning workspace init NAME")')
  })

  it('formatInit', () => {
    expect(formatInit({name: 'prod', path: '/ws/prod', activated: true, files: []})).toBe('created workspace prod at /ws/prod (active)')
    expect(formatInit({name: 'prod', path: '/ws/prod', activated: false, files: []})).toBe('created workspace prod at /ws/prod')
  })

  it('formatInfo: (none) for what is empty, the extensions table when any', () => {
    const bare = formatInfo(info())
    expect(bare).toContain('registered:  yes (active)')
    expect(bare).toContain('environment: (none)')
    expect(bare).toContain('infras:      (none)')
    expect(bare).toContain('lockfile:    (not resolved yet)')
    expect(bare).toContain('lock:        unlocked')
    expect(bare.endsWith('extensions: (none installed)')).toBe(true)
    const full = formatInfo(
      info({
        registered: false,
        environment: 'dev',
        infras: ['eu', 'us'],
        config: {workspace: 'w', lockfile: 'l.lock', lockfilePresent: true},
        extensions: [
          {type: 'taskserv', name: 'redis', version: '7.2.0'},
          {type: 'provider', name: 'aws'},
        ],
      }),
    )
    expect(full).toContain('registered:  no')
    expect(full).toContain('infras:      eu, us')
    expect(full).toContain('lockfile:    l.lock')
    expect(full).toMatch(/extensions:\nTYPE\s+NAME\s+VERSION\ntaskserv\s+redis\s+7\.2\.0\nprovider\s+aws\s+\?$/)
  })

  it('formatLockStatus: unlocked, held, expired, unreadable', () => {
    const base = {provider: 'file' as const, location: '/l'}
    expect(formatLockStatus({...base, locked: false})).toBe('unlocked')
    expect(formatLockStatus({...base, locked: true, holder})).toBe('locked by alice (host build-1, pid 4242, since 2026-01-01T10:00:00Z) [file]')
    expect(formatLockStatus({...base, locked: true, holder: {...holder, reason: 'deploy'}, expired: true})).toBe(
      'expired: was alice (host build-1, pid 4242, since 2026-01-01T10:00:00Z, reason "deploy") [file] ("workspace cleanup" removes it)',
    )
    expect(formatLockStatus({...base, locked: false, problem: 'not JSON'})).toBe('unknown (not JSON)')
  })

  it('formatLock and formatUnlock', () => {
    expect(
      formatLock({
        workspace: 'prod',
        path: '/ws/prod',
        provider: 'file',
        location: '/l',
        lock: {...holder, expires_at: '2026-01-01T11:00:00Z'},
        replaced: {...holder, owner: 'bob'},
      }),
    ).toBe('locked workspace prod as alice until 2026-01-01T11:00:00Z [/l]; took over the expired lock of bob')
    const unlock = {workspace: 'prod', path: '/ws/prod', location: '/l', forced: false, expired: false}
    expect(formatUnlock({...unlock, unlocked: false})).toBe('workspace prod was not locked (nothing to do)')
    expect(formatUnlock({...unlock, unlocked: true, holder})).toBe('unlocked workspace prod: removed the lock of alice [/l]')
    expect(formatUnlock({...unlock, unlocked: true, holder, forced: true})).toBe('unlocked workspace prod: removed the lock of alice (forced) [/l]')
    expect(formatUnlock({...unlock, unlocked: true, unreadable: true, expired: true})).toBe(
      'unlocked workspace prod: removed an unreadable lock (it had expired) [/l]',
    )
  })

  it('formatCleanup: nothing to clean; removed items with sizes; kept ones with why', () => {
    const base = {workspace: 'prod', path: '/ws/prod', dryRun: false, bytes: 0}
    expect(formatCleanup({...base, removed: [], skipped: []})).toBe('workspace prod: nothing to clean')
    const text = formatCleanup({
      ...base,
      dryRun: true,
      bytes: 3 * 1024 * 1024,
      removed: [{path: '.provisioning/.x.1.ab.tmp', kind: 'temp', bytes: 3 * 1024 * 1024, reason: 'left by a dead process'}],
      skipped: [{path: '.provisioning/.y.2.cd.tmp', reason: 'process 2 is alive'}],
    })
    expect(text.split('\n')).toEqual([
      'workspace prod: would remove 1 item(s), 3.0 MiB',
      'KIND  PATH                       SIZE     WHY',
      'temp  .provisioning/.x.1.ab.tmp  3.0 MiB  left by a dead process',
      'kept .provisioning/.y.2.cd.tmp: process 2 is alive',
    ])
    expect(formatCleanup({...base, removed: [], skipped: [{path: 'a', reason: 'b'}]})).toBe('workspace prod: removed 0 item(s), 0 B\nkept a: b')
  })
})
