import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ExitCode, ProvisioningError} from '../../../src/lib/errors.js'
import {type Lockfile, readLockfile, serializeLockfile, writeLockfile} from '../../../src/lib/deps/lockfile.js'

const digest = (c: string) => `sha256:${c.repeat(64)}`

const lock = (signer?: string): Lockfile => ({
  lockfile_version: 1,
  inputs_digest: digest('1'),
  core_version: '1.0.0',
  extensions: [
    {
      name: 'redis',
      type: 'taskserv',
      version: '7.2.5',
      reference: 'localhost:5000/provisioning-extensions/redis:7.2.5',
      digest: digest('2'),
      ...(signer ? {signer} : {}),
      dependencies: {},
      optional: {},
    },
  ],
})

let dir: string
let file: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'trust-lock-'))
  file = path.join(dir, 'provisioning.lock')
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('the lockfile signer', () => {
  it('is written after the digest and read back', async () => {
    await writeLockfile(file, lock(digest('3')))
    const text = await readFile(file, 'utf8')
    expect(text).toMatch(new RegExp(`digest: ${digest('2')}\\n\\s+signer: ${digest('3')}\\n`))
    expect((await readLockfile(file))?.extensions[0].signer).toBe(digest('3'))
  })

  it('is absent when nothing was verified, and a lock without it (older locks) reads as before', async () => {
    const text = await serializeLockfile(lock())
    expect(text).not.toContain('signer')
    await writeFile(file, text)
    const read = await readLockfile(file)
    expect(read?.extensions[0]).not.toHaveProperty('signer')
    // Stable: reading and writing again gives the same bytes.
    expect(await serializeLockfile(read as Lockfile)).toBe(text)
  })

  it.each([
    ['a number', '5'],
    ['a word', 'trusted'],
    ['another algorithm', `sha512:${'a'.repeat(128)}`],
    ['upper-case hex', `sha256:${'A'.repeat(64)}`],
    ['a list', `[${digest('3')}]`],
    ['a map', `{fingerprint: ${digest('3')}}`],
  ])('refuses a hostile value (%s) with exit 3 naming the entry', async (_what, value) => {
    const text = (await serializeLockfile(lock(digest('3')))).replace(`signer: ${digest('3')}`, `signer: ${value}`)
    await writeFile(file, text)
    const error = await readLockfile(file).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProvisioningError)
    expect((error as ProvisioningError).exit).toBe(ExitCode.CONFIG)
    expect((error as ProvisioningError).message).toMatch(/extensions\[0\]\.signer \(redis\) .* is not a key fingerprint/)
  })
})
