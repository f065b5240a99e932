import {execFileSync} from 'node:child_process'
import {createHmac} from 'node:crypto'
import {chmodSync, chownSync, mkdtempSync, symlinkSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {useParseCache} from '../../../src/lib/config/parse-cache.js'
import {parseConfigText} from '../../../src/lib/config/source-file.js'
import {ConfigError} from '../../../src/lib/errors.js'

const TEXT = 'workspace:\n  name: demo\noci:\n  registry: localhost:5000\n  tls: false\nlist:\n  - a\n  - b: 2\n'

describe('parse cache (parsed YAML by content under $PROVISIONING_HOME/cache/parsed)', () => {
  let root: string
  let dir: string
  let keyFile: string
  const entries = () => readdirSync(dir).filter((name) => name.endsWith('.json'))
  /** An entry is `MAC\nPAYLOAD`: the payload as an object. */
  const readEntry = (file: string) => JSON.parse(readFileSync(file, 'utf8').split('\n').slice(1).join('\n'))
  /** Writes an entry signed with this home's key (as the CLI would), or with another one. */
  const writeEntry = (file: string, entry: unknown, key = readFileSync(keyFile)) => {
    const payload = JSON.stringify(entry)
    writeFileSync(file, `${createHmac('sha256', key).update(payload).digest('hex')}\n${payload}`)
  }

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'parse-cache-'))
    dir = path.join(root, 'cache', 'parsed')
    keyFile = path.join(root, 'cache.key')
    useParseCache(dir, keyFile)
  })
  afterEach(() => {
    useParseCache(undefined)
    rmSync(root, {recursive: true, force: true})
  })

  it('stores a parse (0600) and answers the same data and lines from it', async () => {
    const first = await parseConfigText(TEXT, '/ws/provisioning.yaml')
    expect(entries()).toHaveLength(1)
    const file = path.join(dir, entries()[0])
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const second = await parseConfigText(TEXT, '/ws/provisioning.yaml')
    expect(second.data).toEqual(first.data)
    for (const key of ['workspace', 'workspace.name', 'oci.registry', 'oci.tls', 'list']) expect(second.lineOf(key), key).toBe(first.lineOf(key))
    expect(second.lineOf('oci.registry')).toBe(4)
    // It really came from the entry: an entry with other (valid, signed) content is believed.
    const entry = readEntry(file) as {data: {oci: {registry: string}}}
    entry.data.oci.registry = 'from-the-cache'
    writeEntry(file, entry)
    expect(((await parseConfigText(TEXT, '/ws/provisioning.yaml')).data.oci as {registry: string}).registry).toBe('from-the-cache')
    // The signing key is this user's alone, outside cache/.
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
  })

  it('stores list item lines too; an entry without them (written before they were recorded) answers items with none', async () => {
    const first = await parseConfigText(TEXT, '/ws/provisioning.yaml')
    expect([first.lineOf('list[0]'), first.lineOf('list[1]'), first.lineOf('list[1].b')]).toEqual([7, 8, undefined])
    const file = path.join(dir, entries()[0])
    const entry = readEntry(file) as {lines: Record<string, number>}
    expect(entry.lines).toMatchObject({list: 6, 'list[0]': 7, 'list[1]': 8})
    expect(Object.keys(entry.lines)).not.toContain('list[1].b')
    const cached = await parseConfigText(TEXT, '/ws/provisioning.yaml')
    expect([cached.lineOf('list'), cached.lineOf('list[0]'), cached.lineOf('list[1]')]).toEqual([6, 7, 8])
    // An older entry: map keys only. Items have no line (LoadedConfig.locate then gives the list's).
    entry.lines = Object.fromEntries(Object.entries(entry.lines).filter(([key]) => !key.includes('[')))
    writeEntry(file, entry)
    const old = await parseConfigText(TEXT, '/ws/provisioning.yaml')
    expect([old.lineOf('list'), old.lineOf('list[1]')]).toEqual([6, undefined])
  })

  it('does not believe an entry signed under another key or not signed (a cache restored from elsewhere)', async () => {
    await parseConfigText(TEXT, '/ws/provisioning.yaml')
    const file = path.join(dir, entries()[0])
    const entry = readEntry(file) as {data: {oci: {registry: string}}}
    entry.data.oci.registry = 'planted.example.com'
    for (const plant of [
      () => writeEntry(file, entry, Buffer.alloc(32, 7)),
      () => writeFileSync(file, JSON.stringify(entry)),
      () => writeFileSync(file, `\n${JSON.stringify(entry)}`),
    ]) {
      plant()
      expect(((await parseConfigText(TEXT, '/ws/provisioning.yaml')).data.oci as {registry: string}).registry).toBe('localhost:5000')
    }
    // Without its key file (a home whose cache/ alone was restored) nothing is believed either.
    writeEntry(file, entry)
    rmSync(keyFile)
    useParseCache(dir, keyFile)
    expect(((await parseConfigText(TEXT, '/ws/provisioning.yaml')).data.oci as {registry: string}).registry).toBe('localhost:5000')
    // A key others can read is no secret: not used, and replaced by the next write.
    const exposed = readFileSync(keyFile)
    chmodSync(keyFile, 0o644)
    useParseCache(dir, keyFile)
    writeEntry(file, entry, exposed)
    expect(((await parseConfigText(TEXT, '/ws/provisioning.yaml')).data.oci as {registry: string}).registry).toBe('localhost:5000')
    expect(readFileSync(keyFile).equals(exposed)).toBe(false)
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
  })

  it('does not believe an entry that others could have written (group/world-writable or not ours)', async () => {
    await parseConfigText(TEXT, '/ws/provisioning.yaml')
    const file = path.join(dir, entries()[0])
    const entry = readEntry(file) as {data: {oci: {registry: string}}}
    entry.data.oci.registry = 'planted.example.com'
    writeEntry(file, entry)
    chmodSync(file, 0o666)
    expect(((await parseConfigText(TEXT, '/ws/provisioning.yaml')).data.oci as {registry: string}).registry).toBe('localhost:5000')
    if (process.getuid?.() === 0) {
      writeEntry(file, entry)
      chmodSync(file, 0o600)
      chownSync(file, 65_534, 65_534) // nobody
      expect(((await parseConfigText(TEXT, '/ws/provisioning.yaml')).data.oci as {registry: string}).registry).toBe('localhost:5000')
    }
  })

  it('keys by content: an edit is parsed anew', async () => {
    await parseConfigText(TEXT, '/ws/provisioning.yaml')
    const edited = await parseConfigText(TEXT.replace('localhost:5000', 'registry.example.com'), '/ws/provisioning.yaml')
    expect((edited.data.oci as {registry: string}).registry).toBe('registry.example.com')
    expect(entries()).toHaveLength(2)
  })

  it('ignores a damaged entry, parses, and rewrites it', async () => {
    await parseConfigText(TEXT, '/ws/provisioning.yaml')
    const file = path.join(dir, entries()[0])
    const key = entries()[0].replace(/\.json$/, '')
    for (const damage of ['{not json', JSON.stringify({key, data: [], lines: {}}), JSON.stringify({key: 'another', data: {oci: 'x'}, lines: {}}), '']) {
      writeFileSync(file, damage)
      const again = await parseConfigText(TEXT, '/ws/provisioning.yaml')
      expect((again.data.oci as {registry: string}).registry).toBe('localhost:5000')
      expect(readEntry(file).key).toBe(key)
    }
  })

  it('follows no link, waits on no FIFO, and trusts no folder others can write to', async () => {
    await parseConfigText(TEXT, '/ws/provisioning.yaml')
    const [name] = entries()
    const file = path.join(dir, name)
    // Another text's (valid, ours) entry linked in place of this one.
    const other = 'workspace:\n  name: other\n'
    await parseConfigText(other, '/ws/other.yaml')
    const otherFile = path.join(
      dir,
      entries().find((n) => n !== name)!,
    )
    rmSync(file)
    symlinkSync(otherFile, file)
    expect(((await parseConfigText(TEXT, '/ws/provisioning.yaml')).data.workspace as {name: string}).name).toBe('demo')
    rmSync(file, {force: true})
    execFileSync('mkfifo', [file])
    const started = Date.now()
    expect(((await parseConfigText(TEXT, '/ws/provisioning.yaml')).data.workspace as {name: string}).name).toBe('demo')
    expect(Date.now() - started).toBeLessThan(5000)
    rmSync(file, {force: true})
    await parseConfigText(TEXT, '/ws/provisioning.yaml')
    const planted = readEntry(path.join(dir, name)) as {data: {workspace: {name: string}}}
    planted.data.workspace.name = 'planted'
    writeEntry(path.join(dir, name), planted)
    chmodSync(dir, 0o777)
    expect(((await parseConfigText(TEXT, '/ws/provisioning.yaml')).data.workspace as {name: string}).name).toBe('demo')
    chmodSync(dir, 0o700)
  })

  it('a YAML alias cycle is refused (the merge would recurse forever) and not cached', async () => {
    await expect(parseConfigText('a: &a\n  b: *a\nname: x\n', '/cycle.yaml')).rejects.toThrow(/\/cycle\.yaml has a value that contains itself at a\.b/)
    expect(readdirSyncSafe(dir)).toEqual([])
  })

  it('never stores what JSON cannot carry exactly, nor syntax errors', async () => {
    const special = await parseConfigText('a: .nan\nb: -.inf\nc: -0.0\n', '/x.yaml')
    expect(Number.isNaN(special.data.a)).toBe(true)
    await expect(parseConfigText('a: [1\n', '/bad.yaml')).rejects.toBeInstanceOf(ConfigError)
    expect(readdirSyncSafe(dir)).toEqual([])
  })

  it('works without a usable cache folder', async () => {
    // A file where the folder should be: mkdir fails even for root.
    writeFileSync(path.join(root, 'blocked'), '')
    useParseCache(path.join(root, 'blocked', 'parsed'))
    for (let i = 0; i < 2; i++) {
      const parsed = await parseConfigText(TEXT, '/ws/provisioning.yaml')
      expect((parsed.data.workspace as {name: string}).name).toBe('demo')
      expect(parsed.lineOf('oci.registry')).toBe(4)
    }
    expect(readdirSync(root).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })
})

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
