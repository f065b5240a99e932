import {execFileSync} from 'node:child_process'
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
  const entries = () => readdirSync(dir).filter((name) => name.endsWith('.json'))

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'parse-cache-'))
    dir = path.join(root, 'cache', 'parsed')
    useParseCache(dir)
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
    // It really came from the entry: an entry with other (valid) content is believed.
    const entry = JSON.parse(readFileSync(file, 'utf8')) as {data: {oci: {registry: string}}}
    entry.data.oci.registry = 'from-the-cache'
    writeFileSync(file, JSON.stringify(entry))
    expect(((await parseConfigText(TEXT, '/ws/provisioning.yaml')).data.oci as {registry: string}).registry).toBe('from-the-cache')
  })

  it('does not believe an entry that others could have written (group/world-writable or not ours)', async () => {
    await parseConfigText(TEXT, '/ws/provisioning.yaml')
    const file = path.join(dir, entries()[0])
    const entry = JSON.parse(readFileSync(file, 'utf8')) as {data: {oci: {registry: string}}}
    entry.data.oci.registry = 'planted.example.com'
    writeFileSync(file, JSON.stringify(entry))
    chmodSync(file, 0o666)
    expect(((await parseConfigText(TEXT, '/ws/provisioning.yaml')).data.oci as {registry: string}).registry).toBe('localhost:5000')
    if (process.getuid?.() === 0) {
      writeFileSync(file, JSON.stringify(entry), {mode: 0o600})
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
      expect(JSON.parse(readFileSync(file, 'utf8')).key).toBe(key)
    }
  })

  it('follows no link, waits on no FIFO, and trusts no folder others can write to', async () => {
    await parseConfigText(TEXT, '/ws/provisioning.yaml')
    const [name] = entries()
    const file = path.join(dir, name)
    // Another text's (valid, ours) entry linked in place of this one.
    const other = 'workspace:\n  name: other\n'
    await parseConfigText(other, '/ws/other.yaml')
    const otherFile = path.join(dir, entries().find((n) => n !== name)!)
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
    const planted = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as {data: {workspace: {name: string}}}
    planted.data.workspace.name = 'planted'
    writeFileSync(path.join(dir, name), JSON.stringify(planted))
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
