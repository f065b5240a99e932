// The workspace lock settings: the one place outside config/ where `locking.*` keys are read.
import os from 'node:os'

import {getPath} from '../../config/merge.js'
import type {ConfigTable} from '../../config/types.js'
import {ConfigError} from '../../errors.js'
import {currentUser} from '../../util/process-info.js'

export type LockProviderKind = 'file' | 'etcd'

export interface EtcdSettings {
  endpoints: string[]
  prefix: string
  timeoutMs: number
}

export interface LockSettings {
  /** locking.provider as configured (none, file, gitea, etcd). */
  configured: string
  owner: string
  ttlSeconds: number
  etcd: EtcdSettings
}

/** `user@host`: who a lock belongs to unless locking.owner names someone else (CI jobs, tests). */
export function defaultOwner(): string {
  return `${currentUser()}@${os.hostname()}`
}

const str = (values: ConfigTable, key: string, fallback: string): string => {
  const value = getPath(values, key)
  return value === undefined || value === null || value === '' ? fallback : String(value)
}

export function lockSettings(values: ConfigTable): LockSettings {
  const endpoints = getPath(values, 'locking.etcd.endpoints')
  const timeout = Number(getPath(values, 'locking.etcd.timeout_seconds') ?? 3)
  return {
    configured: str(values, 'locking.provider', 'none'),
    owner: str(values, 'locking.owner', defaultOwner()),
    ttlSeconds: Number(getPath(values, 'locking.ttl_seconds') ?? 0) || 0,
    etcd: {
      endpoints: Array.isArray(endpoints) ? endpoints.map(String) : [],
      prefix: str(values, 'locking.etcd.prefix', '/provisioning/locks').replace(/\/+$/, ''),
      timeoutMs: (Number.isFinite(timeout) && timeout > 0 ? timeout : 3) * 1000,
    },
  }
}

/**
 * The provider an explicit `workspace lock` uses: the flag, else locking.provider. `none`
 * (solo, cicd) still locks with the file provider: asking for a lock is explicit enough, and
 * a file lock needs no server.
 */
export function providerForLocking(settings: LockSettings, flag?: string): LockProviderKind {
  const chosen = flag ?? settings.configured
  if (chosen === 'file' || chosen === 'none') return 'file'
  if (chosen === 'etcd') return 'etcd'
  if (chosen === 'gitea') {
    throw new ConfigError('locking.provider = "gitea" is not supported by this CLI', {
      hint: 'set locking.provider to "file" (one machine or a shared folder) or "etcd" (a team), or pass --provider file|etcd',
      details: {provider: chosen},
    })
  }
  throw new ConfigError(`unknown lock provider "${chosen}"`, {hint: 'use one of: none, file, etcd', details: {provider: chosen}})
}

/**
 * Where locks are looked for (enforcement, info, unlock): the file always (cheap, and an
 * explicit `--provider file` lock must be honoured whatever the config says), etcd first
 * when it is the configured provider.
 */
export function providersToCheck(settings: LockSettings): LockProviderKind[] {
  return settings.configured === 'etcd' ? ['etcd', 'file'] : ['file']
}
