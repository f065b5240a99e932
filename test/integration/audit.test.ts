import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, repoRoot, runCli} from '../helpers/cli.js'
import {useRegistry} from '../helpers/registry.js'
import {initWorkspace, type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * The audit log: every mutating command appends one JSON line (who, what, target, result,
 * exit) to $PROVISIONING_HOME/audit.log, whether it succeeded or not; read-only commands
 * append nothing; no secret reaches the log. Runs against a real registry with Basic auth.
 */
const REDIS = path.join(repoRoot, 'templates/examples/taskservs/redis/7.2.0')
const USER = 'auditor'
const PASSWORD = 'Aud1t-S3cret:pw 77f0'

interface AuditLine {
  time: string
  user: string
  host: string
  pid: number
  command: string
  target?: string
  result: string
  exit: number
  error?: string
}

describe('audit log', () => {
  const registry = useRegistry({auth: 'basic', username: USER, password: PASSWORD})
  let box: Sandbox
  beforeAll(async () => {
    box = await sandbox()
  })
  afterAll(async () => {
    await box?.cleanup()
  })
  const cli = (args: string[], input?: string): Promise<CliResult> =>
    runCli(args, {env: {...box.env, PROVISIONING_OCI__REGISTRY: registry().host, PROVISIONING_WORKSPACE: undefined}, input, cwd: box.root})
  const lines = async (): Promise<AuditLine[]> => {
    const text = await readFile(path.join(box.home, 'audit.log'), 'utf8').catch(() => '')
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditLine)
  }

  it('records each mutating command with its result, and no secret', async () => {
    expect((await cli(['oci', 'login', registry().host, '-u', USER, '--password-stdin'], 'wrong-password\n')).exitCode).toBe(7)
    expect((await cli(['oci', 'login', registry().host, '-u', USER, '--password-stdin'], `${PASSWORD}\n`)).exitCode).toBe(0)
    expect((await cli(['oci', 'push', REDIS])).exitCode).toBe(0)
    expect((await cli(['oci', 'tags', 'redis'])).exitCode).toBe(0) // read-only: not audited
    expect((await cli(['oci', 'delete', 'redis:7.2.0', '--yes'])).exitCode).toBe(0)
    expect((await cli(['mode', 'switch', 'cicd', '--force'])).exitCode).toBe(0)
    expect((await cli(['mode', 'switch', 'ghost'])).exitCode).toBe(4)
    const ws = await initWorkspace(box, 'team')
    expect((await cli(['dep', 'resolve', '--workspace', ws])).exitCode).toBe(0)
    expect((await cli(['oci', 'logout', registry().host])).exitCode).toBe(0)

    const records = await lines()
    expect(records.map((r) => [r.command, r.target, r.result, r.exit])).toEqual([
      ['oci login', registry().host, 'error', 7],
      ['oci login', registry().host, 'ok', 0],
      ['oci push', REDIS, 'ok', 0],
      ['oci delete', 'redis:7.2.0', 'ok', 0],
      ['mode switch', 'cicd', 'ok', 0],
      ['mode switch', 'ghost', 'error', 4],
      ['workspace init', 'team', 'ok', 0],
      ['dep resolve', undefined, 'ok', 0],
      ['oci logout', registry().host, 'ok', 0],
    ])
    for (const record of records) {
      expect(record.user).toBeTruthy()
      expect(record.host).toBeTruthy()
      expect(Number.isNaN(Date.parse(record.time))).toBe(false)
    }
    expect(records[0].error).toBe('E_AUTH')
    const raw = await readFile(path.join(box.home, 'audit.log'), 'utf8')
    for (const secret of [PASSWORD, 'wrong-password', Buffer.from(`${USER}:${PASSWORD}`).toString('base64')]) expect(raw).not.toContain(secret)
  })

  it('audit shows, filters and stays read-only', async () => {
    const before = (await lines()).length
    const all = json<{records: AuditLine[]; skipped: number}>(await cli(['audit', '--json']))
    expect(all.records).toHaveLength(before)
    const logins = json<{records: AuditLine[]}>(await cli(['audit', '--command', 'oci login', '--json']))
    expect(logins.records.map((r) => r.result)).toEqual(['error', 'ok'])
    const topic = json<{records: AuditLine[]}>(await cli(['audit', '--command', 'mode', '--json']))
    expect(topic.records).toHaveLength(2)
    expect(json<{records: AuditLine[]}>(await cli(['audit', '--since', '1h', '--limit', '2', '--json'])).records).toHaveLength(2)
    expect(json<{records: AuditLine[]}>(await cli(['audit', '--since', '2999-01-01', '--json'])).records).toHaveLength(0)
    const human = await cli(['audit'])
    expect(human.stdout).toMatch(/^TIME\s+WHO\s+COMMAND/m)
    expect(human.stdout).toContain('error (exit 7, E_AUTH)')
    const bad = await cli(['audit', '--since', 'yesterday-ish'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toContain('30m, 2h or 7d')
    expect(await lines()).toHaveLength(before)
  })
})
