import {generateKeyPairSync} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {startEtcd} from '../helpers/etcd.js'
import {initWorkspace, type Sandbox, sandbox, writeText} from '../helpers/workspace.js'

interface Requirement {
  id: string
  met: boolean
  fix: string
}

describe('mode commands (built CLI)', () => {
  let box: Sandbox
  beforeEach(async () => {
    box = await sandbox()
  })
  afterEach(() => box.cleanup())

  it('lists the four modes with the reference settings', async () => {
    const doc = json<{current: string; modes: Array<{name: string; authentication: string; locking: string; limits: string}>}>(
      await runCli(['mode', 'list', '--json'], {env: box.env}),
    )
    expect(doc.current).toBe('solo')
    expect(doc.modes.map((m) => m.name)).toEqual(['cicd', 'enterprise', 'multi-user', 'solo'])
    const byName = Object.fromEntries(doc.modes.map((m) => [m.name, m]))
    expect(byName.enterprise.authentication).toBe('mtls')
    expect(byName.cicd.authentication).toBe('token (1h)')
    expect(byName['multi-user'].limits).toBe('10 servers, 32 cores, 128 GB')
    expect(byName.solo.limits).toBe('unlimited')
  })

  it('current: PROVISIONING_MODE, else active-mode.yaml, else solo', async () => {
    expect((await runCli(['mode', 'current'], {env: box.env})).stdout.trim()).toBe('solo')
    expect((await runCli(['mode', 'current'], {env: {...box.env, PROVISIONING_MODE: 'cicd'}})).stdout.trim()).toBe('cicd')
    await writeText(path.join(box.home, 'config', 'active-mode.yaml'), 'mode: multi-user\n')
    expect((await runCli(['mode', 'current'], {env: box.env})).stdout.trim()).toBe('multi-user')
  })

  it('refuses enterprise on a bare setup with exit 10, listing every unmet requirement', async () => {
    const result = await runCli(['mode', 'switch', 'enterprise', '--json'], {env: box.env})
    expect(result.exitCode).toBe(10)
    const {error} = json<{error: {code: string; details: {requirements: Requirement[]}}}>(result)
    expect(error.code).toBe('E_VALIDATION')
    const unmet = error.details.requirements.filter((r) => !r.met).map((r) => r.id)
    expect(unmet).toEqual(expect.arrayContaining(['registry.shared', 'registry.credentials', 'locking.etcd', 'mtls.cert_file']))
    expect(error.details.requirements.every((r) => r.fix.length > 0)).toBe(true)
    // Nothing was written.
    await expect(readFile(path.join(box.home, 'config', 'active-mode.yaml'))).rejects.toThrow()
    const human = await runCli(['mode', 'switch', 'enterprise'], {env: box.env})
    expect(human.stderr).toContain('fix:')
  })

  it('switches to solo, and to enterprise once every requirement is met', async () => {
    expect((await runCli(['mode', 'switch', 'solo'], {env: box.env})).exitCode).toBe(0)
    expect(await readFile(path.join(box.home, 'config', 'active-mode.yaml'), 'utf8')).toContain('mode: solo')

    // Enterprise locks need an etcd that answers (mode validate connects to it).
    const etcd = await startEtcd()
    const pem = path.join(box.root, 'pki.pem')
    await writeText(pem, '-----BEGIN CERTIFICATE-----\n')
    // Signature verification needs a trusted key that parses.
    const signer = path.join(box.root, 'signer.pub.pem')
    await writeText(signer, generateKeyPairSync('ec', {namedCurve: 'P-256'}).publicKey.export({type: 'spki', format: 'pem'}).toString())
    await writeText(
      path.join(box.home, 'config.user.toml'),
      [
        '[oci]',
        'registry = "harbor.example.com"',
        `trusted_keys = ["${signer}"]`,
        '[locking.etcd]',
        `endpoints = ["${etcd.endpoint}"]`,
        '[security.mtls]',
        `cert_file = "${pem}"`,
        `key_file = "${pem}"`,
        `ca_file = "${pem}"`,
        '',
      ].join('\n'),
    )
    await writeText(path.join(box.home, 'auth.json'), JSON.stringify({auths: {'harbor.example.com': {auth: 'dTpw'}}}))
    const ok = await runCli(['mode', 'switch', 'enterprise', '--json'], {env: box.env}).finally(() => etcd.stop())
    expect(ok.exitCode).toBe(0)
    expect(json<{mode: string; previous: string}>(ok)).toMatchObject({mode: 'enterprise', previous: 'solo'})
    expect((await runCli(['mode', 'current'], {env: box.env})).stdout.trim()).toBe('enterprise')
    // The mode feeds config layer 2.
    expect((await runCli(['config', 'get', 'oci.verify_signatures'], {env: box.env})).stdout.trim()).toBe('true')
  })

  it('validate names an override that breaks a requirement; --force switches anyway', async () => {
    await writeText(path.join(box.home, 'config.user.toml'), '[oci]\nregistry = "harbor.example.com"\ntls_enabled = false\n')
    const result = await runCli(['mode', 'validate', 'cicd', '--json'], {env: box.env})
    expect(result.exitCode).toBe(10)
    const unmet = json<{error: {details: {requirements: Requirement[]}}}>(result)
      .error.details.requirements.filter((r) => !r.met)
      .map((r) => r.id)
    expect(unmet.sort()).toEqual(['registry.credentials', 'registry.tls'])
    const forced = await runCli(['mode', 'switch', 'cicd', '--force'], {env: box.env})
    expect(forced.exitCode).toBe(0)
    expect(forced.stdout).toContain('forced')
  })

  it('applies workspace mode overrides and shows the mode', async () => {
    const ws = await initWorkspace(box, 'demo', ['--activate'])
    await writeText(path.join(ws, 'config', 'modes', 'solo.yaml'), 'oci:\n  concurrency: 9\n')
    expect((await runCli(['config', 'get', 'oci.concurrency'], {env: box.env})).stdout.trim()).toBe('9')
    const show = json<{files: string[]}>(await runCli(['mode', 'show', 'solo', '--json'], {env: box.env}))
    expect(show.files).toHaveLength(2)
    expect((await runCli(['mode', 'show', 'nope'], {env: box.env})).exitCode).toBe(4)
    expect((await runCli(['mode', 'current'], {env: {...box.env, PROVISIONING_MODE: 'bogus'}})).stdout.trim()).toBe('bogus')
    expect((await runCli(['config', 'show'], {env: {...box.env, PROVISIONING_MODE: 'bogus'}})).exitCode).toBe(3)
  })
})
