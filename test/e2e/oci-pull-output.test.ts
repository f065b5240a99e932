import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {publish, writeExtension} from '../helpers/deps.js'
import {runInPty} from '../helpers/pty.js'
import {useRegistrySandbox} from '../helpers/registry-sandbox.js'
import type {Sandbox} from '../helpers/workspace.js'

interface ErrorDoc {
  error: {code: string; message: string; exit: number; hint?: string; details: Record<string, unknown>}
}

const count = (text: string, needle: string) => text.split(needle).length - 1
const listOrNone = (dir: string) => readdir(dir).catch(() => 'missing')

/**
 * Where `oci pull` writes (issue 12 items 4 and 13): a batch never lets two references
 * unpack into one folder, and a non-empty output folder is replaced only after a yes at
 * the terminal or with --yes; the error is printed once.
 */
describe('oci pull output folders (built CLI, real registry)', () => {
  const {registry, box: currentBox, env: currentEnv} = useRegistrySandbox()
  let box: Sandbox
  let env: Record<string, string>
  beforeAll(async () => {
    box = currentBox()
    env = currentEnv()
    const dirs = []
    for (const [name, version] of [
      ['redis', '0.1.0'],
      ['redis', '0.2.0'],
      ['etcd', '1.0.0'],
    ]) {
      const dir = path.join(box.root, 'src', `${name}-${version}`)
      await writeExtension(dir, {name, version}, {VERSION: `${name} ${version}\n`})
      dirs.push(dir)
    }
    await publish(registry().host, box.env, dirs)
  })

  const pull = (args: string[]) => runCli(['oci', 'pull', ...args], {env, cwd: box.root})

  describe('batch pulls (item 4)', () => {
    it('two versions of one extension into one parent folder: refused (exit 2) before anything is fetched or written', async () => {
      const result = await pull(['redis:0.2.0', 'redis:0.1.0', '-o', 'multi', '--json'])
      expect(result.exitCode, result.stdout + result.stderr).toBe(2)
      const {error} = json<ErrorDoc>(result)
      expect(error.code).toBe('E_USAGE')
      expect(error.message).toBe(`redis:0.2.0 and redis:0.1.0 would both unpack into ${path.join(box.root, 'multi', 'redis')}; nothing was pulled`)
      expect(error.hint).toContain('--output')
      expect(await listOrNone(path.join(box.root, 'multi'))).toBe('missing')
      // No layer was fetched either: the blob cache holds nothing.
      expect(await listOrNone(path.join(box.home, 'cache', 'oci', 'blobs', 'sha256'))).toSatisfy(
        (entries: string[] | string) => entries === 'missing' || entries.length === 0,
      )
    })

    it('the same reference twice is refused the same way (text: the error once on stderr)', async () => {
      const result = await pull(['redis:0.2.0', 'etcd:1.0.0', 'redis:0.2.0', '-o', 'twice'])
      expect(result.exitCode, result.stderr).toBe(2)
      expect(result.stdout).toBe('')
      expect(count(result.stderr, 'would both unpack into')).toBe(1)
      expect(await listOrNone(path.join(box.root, 'twice'))).toBe('missing')
    })

    it('distinct extensions still go to OUTPUT/NAME each', async () => {
      const result = await pull(['redis:0.1.0', 'etcd:1.0.0', '-o', 'vendor', '--json'])
      expect(result.exitCode, result.stderr).toBe(0)
      expect(await readFile(path.join(box.root, 'vendor', 'redis', 'VERSION'), 'utf8')).toBe('redis 0.1.0\n')
      expect(await readFile(path.join(box.root, 'vendor', 'etcd', 'VERSION'), 'utf8')).toBe('etcd 1.0.0\n')
    })
  })

  describe('a non-empty output folder (item 13)', () => {
    const occupied = async (name: string) => {
      const dir = path.join(box.root, name)
      await mkdir(dir, {recursive: true})
      await writeFile(path.join(dir, 'keep.txt'), 'mine\n')
      return dir
    }

    it('without a terminal: exit 2, a hint to pass --yes, the error printed once (text and --json), the folder untouched', async () => {
      const dir = await occupied('no-tty')
      const text = await pull(['redis:0.2.0', '-o', 'no-tty'])
      expect(text.exitCode, text.stderr).toBe(2)
      expect(text.stdout).toBe('')
      expect(count(text.stderr, 'exists and is not empty')).toBe(1)
      expect(text.stderr).toContain('pass --yes')
      const doc = await pull(['redis:0.2.0', '-o', 'no-tty', '--json'])
      expect(doc.exitCode).toBe(2)
      expect(json<ErrorDoc>(doc).error).toMatchObject({code: 'E_USAGE', message: `${dir} exists and is not empty`, details: {outputs: [dir]}})
      expect(doc.stderr).not.toContain('exists and is not empty')
      expect(await readdir(dir)).toEqual(['keep.txt'])
    })

    it('at a terminal, answering y: asked once, then replaced', async () => {
      const dir = await occupied('tty-yes')
      const result = await runInPty(['oci', 'pull', 'redis:0.2.0', '-o', 'tty-yes'], {env, cwd: box.root, input: 'y\n'})
      expect(result.exitCode, result.terminal).toBe(0)
      expect(count(result.terminal, `${dir} exists and is not empty; replace it? [y/N]`)).toBe(1)
      expect(result.terminal).not.toContain('Error:')
      expect(result.terminal).toContain(`pulled ${registry().host}/provisioning-extensions/redis:0.2.0 into ${dir}`)
      expect((await readdir(dir)).sort()).toEqual(['VERSION', 'manifest.yaml'])
    })

    it('at a terminal, answering n: exit 2, one error, the folder untouched', async () => {
      const dir = await occupied('tty-no')
      const result = await runInPty(['oci', 'pull', 'redis:0.2.0', '-o', 'tty-no'], {env, cwd: box.root, input: 'n\n'})
      expect(result.exitCode, result.terminal).toBe(2)
      expect(count(result.terminal, 'replace it? [y/N]')).toBe(1)
      expect(count(result.terminal, 'Error:')).toBe(1)
      expect(result.terminal).toContain('Error: aborted')
      expect(await readdir(dir)).toEqual(['keep.txt'])
    })

    it('a batch asks once for all occupied folders', async () => {
      await occupied('batch/redis')
      await occupied('batch/etcd')
      const result = await runInPty(['oci', 'pull', 'redis:0.2.0', 'etcd:1.0.0', '-o', 'batch'], {env, cwd: box.root, input: 'y\n'})
      expect(result.exitCode, result.terminal).toBe(0)
      expect(count(result.terminal, 'exist and are not empty; replace them? [y/N]')).toBe(1)
      expect(await readFile(path.join(box.root, 'batch', 'redis', 'VERSION'), 'utf8')).toBe('redis 0.2.0\n')
      expect(await readFile(path.join(box.root, 'batch', 'etcd', 'VERSION'), 'utf8')).toBe('etcd 1.0.0\n')
    })
  })
})
