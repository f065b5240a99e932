import {execFileSync} from 'node:child_process'
import {chmod, cp, mkdir, readFile, rm, stat, symlink, unlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, type ErrorDoc, exampleDir, filesOf, publish, type ResolveDoc, writeExtension} from '../helpers/deps.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

interface Difference {
  folder: string
  name: string
  version?: string
  problem: string
  modified?: string[]
  missing?: string[]
  extra?: string[]
  reason?: string
}

/**
 * Issue 12 item 11 against a real registry: `dep verify` compares installed files with the
 * content the lock pins and lists every difference (exit 10); `dep resolve --frozen` notices
 * a touched folder; `dep resolve --force` reinstalls exactly what differs, from the cache.
 */
describe('dep verify and dep resolve --force', () => {
  let registry: RegistryHandle
  let box: Sandbox
  let ws: string
  const folder = (name: string) => path.join(ws, 'extensions', 'taskservs', name)
  const verify = (args: string[] = []) => runCli(['dep', 'verify', '--json', ...args], {env: box.env, cwd: ws})
  const differencesOf = (result: Awaited<ReturnType<typeof verify>>) => {
    expect(result.exitCode, result.stdout + result.stderr).toBe(10)
    const {error} = json<ErrorDoc>(result)
    expect(error.code).toBe('E_VALIDATION')
    return error.details.differences as Difference[]
  }

  beforeAll(async () => {
    box = await sandbox()
    registry = await startRegistry()
    const src = path.join(box.root, 'src')
    const files = (name: string) => ({
      'README.md': `# ${name}\n`,
      'templates/config.j2': `name={{ ${name} }}\n`,
      'scripts/run.sh': '#!/bin/sh\necho run\n',
      'scripts/check.sh': '#!/bin/sh\nexit 0\n',
    })
    for (const name of ['etcd', 'redis', 'calm']) {
      await writeExtension(path.join(src, name), {name, version: '1.0.0'}, files(name))
      await chmod(path.join(src, name, 'scripts', 'run.sh'), 0o755)
    }
    await publish(
      registry.host,
      box.env,
      ['etcd', 'redis', 'calm'].map((n) => path.join(src, n)),
    )
    ws = await bareWorkspace(box.root, 'ws')
    await declare(ws, {registry: registry.host}, {taskservs: ['etcd', 'redis', 'calm']})
    const resolved = await depResolve(ws, box.env)
    if (resolved.exitCode !== 0) throw new Error(resolved.stderr)
  })
  afterAll(async () => {
    await registry?.stop()
    await box?.cleanup()
  })

  it('a clean install verifies (exit 0), in text and --json', async () => {
    const result = await verify()
    expect(result.exitCode, result.stderr).toBe(0)
    expect(json(result)).toMatchObject({clean: true, verified: ['calm', 'etcd', 'redis']})
    const human = await runCli(['dep', 'verify'], {env: box.env, cwd: ws})
    expect(human.stdout.trim()).toBe(`3 installed extension(s) of ${ws} match ${path.join(ws, 'config', 'provisioning.lock')} file for file`)
  })

  it('edited, deleted and added files: --frozen fails naming the folder, a plain run warns, dep verify lists each file', async () => {
    await writeFile(path.join(folder('etcd'), 'README.md'), '# edited\n')
    await unlink(path.join(folder('etcd'), 'templates', 'config.j2'))
    await writeFile(path.join(folder('etcd'), 'notes.txt'), 'mine\n')
    await chmod(path.join(folder('etcd'), 'scripts', 'check.sh'), 0o755)

    const frozen = await depResolve(ws, box.env, ['--frozen', '--json'])
    expect(frozen.exitCode, frozen.stdout).toBe(10)
    const {error} = json<ErrorDoc>(frozen)
    expect(error.message).toBe('extensions/taskservs/etcd was changed since it was installed')
    expect(error.hint).toContain('provisioning dep verify')
    expect(error.details).toEqual({modified: ['etcd']})

    const plain = await depResolve(ws, box.env, ['--json'])
    expect(plain.exitCode, plain.stderr).toBe(0)
    const doc = json<ResolveDoc & {modified: string[]}>(plain)
    expect(doc).toMatchObject({installed: [], modified: ['etcd']})
    expect(doc.warnings.join('\n')).toContain('extensions/taskservs/etcd was changed since it was installed')

    expect(differencesOf(await verify())).toEqual([
      {
        folder: 'extensions/taskservs/etcd',
        name: 'etcd',
        version: '1.0.0',
        problem: 'modified',
        modified: ['README.md', 'scripts/check.sh'],
        missing: ['templates/config.j2'],
        extra: ['notes.txt'],
      },
    ])
    const human = await runCli(['dep', 'verify'], {env: box.env, cwd: ws})
    expect(human.exitCode).toBe(10)
    expect(human.stderr).toContain('extensions/taskservs/etcd (etcd@1.0.0): files differ from the locked content')
    expect(human.stderr).toContain('modified: README.md, scripts/check.sh')
    expect(human.stderr).toContain('missing: templates/config.j2')
    expect(human.stderr).toContain('extra: notes.txt')
  })

  it('links, FIFOs and a file swapped for a folder neither hang nor crash it; missing and unlisted folders are named', async () => {
    await rm(path.join(folder('redis'), 'scripts', 'run.sh'))
    await symlink('/dev/zero', path.join(folder('redis'), 'scripts', 'run.sh'))
    await rm(path.join(folder('redis'), 'README.md'))
    execFileSync('mkfifo', [path.join(folder('redis'), 'README.md')])
    await rm(path.join(folder('redis'), 'templates', 'config.j2'))
    await mkdir(path.join(folder('redis'), 'templates', 'config.j2', 'inner'), {recursive: true})
    await mkdir(folder('stray'), {recursive: true})
    await writeFile(path.join(folder('stray'), 'manifest.yaml'), 'name: stray\n')

    const started = Date.now()
    const differences = differencesOf(await verify())
    expect(Date.now() - started).toBeLessThan(60_000)
    expect(differences.map((d) => [d.folder, d.problem])).toEqual([
      ['extensions/taskservs/etcd', 'modified'],
      ['extensions/taskservs/redis', 'modified'],
      ['extensions/taskservs/stray', 'not-locked'],
    ])
    expect(differences[1]).toMatchObject({modified: ['README.md', 'scripts/run.sh', 'templates/config.j2'], extra: ['templates/config.j2/inner']})

    // The whole folder gone, or a link in its place.
    await rm(folder('calm'), {recursive: true})
    await symlink(exampleDir('taskservs', 'etcd', '3.5.9'), folder('calm'))
    const linked = differencesOf(await verify())
    expect(linked.find((d) => d.name === 'calm')).toMatchObject({problem: 'not-a-folder', reason: 'a symbolic link'})
    await unlink(folder('calm'))
    expect(differencesOf(await verify()).find((d) => d.name === 'calm')).toEqual({
      folder: 'extensions/taskservs/calm',
      name: 'calm',
      version: '1.0.0',
      problem: 'missing-folder',
    })
  })

  it('dep resolve --force reinstalls exactly what differs, from the cache alone, and verify is clean again', async () => {
    // calm is put back by a plain run first (a missing folder is reinstalled), so --force has an untouched one to leave alone.
    expect((await depResolve(ws, box.env)).exitCode).toBe(0)
    const calmBefore = await stat(path.join(folder('calm'), 'README.md'))
    const forced = await depResolve(ws, box.env, ['--force', '--offline', '--json'])
    expect(forced.exitCode, forced.stderr).toBe(0)
    expect(json<ResolveDoc>(forced)).toMatchObject({installed: ['etcd', 'redis'], unchanged: ['calm'], removed: []})
    expect((await stat(path.join(folder('calm'), 'README.md'))).ino).toBe(calmBefore.ino)
    expect(await filesOf(folder('etcd'))).toEqual(await filesOf(path.join(box.root, 'src', 'etcd')))

    // Only the folder the lock does not list is left (reported, never removed).
    expect(differencesOf(await verify()).map((d) => [d.folder, d.problem])).toEqual([['extensions/taskservs/stray', 'not-locked']])
    await rm(folder('stray'), {recursive: true})
    expect((await verify()).exitCode).toBe(0)
    // A --frozen run after the repair is clean again.
    expect((await depResolve(ws, box.env, ['--frozen'])).exitCode).toBe(0)
  })

  it('a copied workspace (new inodes, same files) is checked once by content, not reported as changed', async () => {
    const copy = path.join(box.root, 'copied')
    await cp(ws, copy, {recursive: true})
    const first = await depResolve(copy, box.env, ['--frozen', '--json'])
    expect(first.exitCode, first.stdout).toBe(0)
    expect(json<ResolveDoc>(first)).toMatchObject({warnings: [], installed: [], unchanged: ['calm', 'etcd', 'redis']})
    // Fingerprinted again: a real edit in the copy is still noticed.
    await writeFile(path.join(copy, 'extensions', 'taskservs', 'redis', 'README.md'), 'edited in the copy\n')
    const edited = await depResolve(copy, box.env, ['--frozen', '--json'])
    expect(edited.exitCode, edited.stdout).toBe(10)
    expect(json<ErrorDoc>(edited).error.details).toEqual({modified: ['redis']})
  })

  it('the state file is not believed: with its fingerprints dropped, --frozen cannot tell, dep verify still does', async () => {
    const stateFile = path.join(ws, 'extensions', '.installed.json')
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as {extensions: Record<string, Record<string, unknown>>}
    for (const entry of Object.values(state.extensions)) delete entry.fingerprint
    await writeFile(stateFile, JSON.stringify(state))
    await writeFile(path.join(folder('calm'), 'README.md'), 'tampered\n')
    expect((await depResolve(ws, box.env, ['--frozen'])).exitCode).toBe(0)
    expect(differencesOf(await verify())).toEqual([
      {folder: 'extensions/taskservs/calm', name: 'calm', version: '1.0.0', problem: 'modified', modified: ['README.md']},
    ])
    // --force repairs it and records a fingerprint again for what it verified.
    expect(json<ResolveDoc>(await depResolve(ws, box.env, ['--force', '--json']))).toMatchObject({installed: ['calm']})
    const after = JSON.parse(await readFile(stateFile, 'utf8')) as {extensions: Record<string, {fingerprint?: string}>}
    expect(Object.values(after.extensions).every((e) => typeof e.fingerprint === 'string')).toBe(true)
  })

  it('a huge file is never read: an extra one is listed from its size alone, one of another size than the locked file is modified unhashed', async () => {
    // Sparse 1 TiB files: no disk space, but hashing either would take far longer than the bound.
    execFileSync('truncate', ['-s', '1T', path.join(folder('redis'), 'huge.bin')])
    execFileSync('truncate', ['-s', '1T', path.join(folder('calm'), 'README.md')])
    const started = Date.now()
    const differences = differencesOf(await verify())
    expect(Date.now() - started).toBeLessThan(45_000)
    expect(differences).toEqual([
      {folder: 'extensions/taskservs/calm', name: 'calm', version: '1.0.0', problem: 'modified', modified: ['README.md']},
      {folder: 'extensions/taskservs/redis', name: 'redis', version: '1.0.0', problem: 'modified', extra: ['huge.bin']},
    ])
    // --force makes the same comparison, then reinstalls both.
    const forced = await depResolve(ws, box.env, ['--force', '--json'])
    expect(forced.exitCode, forced.stderr).toBe(0)
    expect(json<ResolveDoc>(forced)).toMatchObject({installed: ['calm', 'redis'], unchanged: ['etcd']})
    expect((await verify()).exitCode).toBe(0)
  })

  it('no lockfile: exit 4 (nothing to compare with), saying to run dep resolve', async () => {
    const unresolved = await bareWorkspace(box.root, 'verify-no-lock')
    await declare(unresolved, {registry: registry.host}, {taskservs: ['etcd']})
    const result = await runCli(['dep', 'verify', '--json'], {env: box.env, cwd: unresolved})
    expect(result.exitCode, result.stdout + result.stderr).toBe(4)
    const {error} = json<ErrorDoc>(result)
    expect(error).toMatchObject({code: 'E_NOT_FOUND', exit: 4, details: {lockfile: path.join(unresolved, 'config', 'provisioning.lock')}})
    expect(error.message).toContain('provisioning.lock does not exist')
    expect(error.hint).toContain('provisioning dep resolve')
  })

  it('a touched folder whose locked content is not in the cache: a plain run warns (exit 0) asking no registry, --frozen fails (exit 10)', async () => {
    // Same content written again: the fingerprint changes, the files do not.
    const readme = path.join(folder('etcd'), 'README.md')
    await writeFile(readme, await readFile(readme))
    const emptyCache = ['--set', `oci.cache.dir=${path.join(box.root, 'empty-cache')}`]
    const changed = 'extensions/taskservs/etcd was changed since it was installed'

    const offline = await depResolve(ws, box.env, ['--offline', '--json', ...emptyCache])
    expect(offline.exitCode, offline.stdout + offline.stderr).toBe(0)
    const doc = json<ResolveDoc & {modified: string[]}>(offline)
    expect(doc).toMatchObject({followedLock: true, installed: [], modified: ['etcd']})
    expect(doc.warnings.join('\n')).toContain(`${changed}: run "provisioning dep verify"`)

    // With the registry gone too: following the lock asks it nothing, so nothing changes.
    await registry.stop()
    const plain = await depResolve(ws, box.env, ['--json', ...emptyCache])
    expect(plain.exitCode, plain.stdout + plain.stderr).toBe(0)
    expect(json<ResolveDoc & {modified: string[]}>(plain)).toMatchObject({installed: [], modified: ['etcd']})
    const frozen = await depResolve(ws, box.env, ['--frozen', '--json', ...emptyCache])
    expect(frozen.exitCode, frozen.stdout + frozen.stderr).toBe(10)
    expect(json<ErrorDoc>(frozen).error).toMatchObject({
      message: changed,
      details: {modified: ['etcd']},
      hint: expect.stringContaining('provisioning dep verify'),
    })
    // From the warm cache the same run compares content and records the folder again: no warning.
    const warm = await depResolve(ws, box.env, ['--frozen', '--json'])
    expect(warm.exitCode, warm.stdout + warm.stderr).toBe(0)
    expect(json<ResolveDoc>(warm)).toMatchObject({warnings: [], unchanged: ['calm', 'etcd', 'redis']})
  })
})
