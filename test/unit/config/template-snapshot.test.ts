import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {parseConfigText, prepareLineLookups, readConfigSource} from '../../../src/lib/config/source-file.js'
import {SNAPSHOT_FILE, snapshotKey, snapshotSource} from '../../../src/lib/config/template-snapshot.js'
import {templatePath} from '../../../src/lib/util/package-root.js'

/** Every key path of parsed data (list items as `a.list[0]`), as lineOf takes them. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, child]) => {
    const own = Array.isArray(value) ? `${prefix}[${key}]` : prefix === '' ? key : `${prefix}.${key}`
    return [own, ...keyPaths(child, own)]
  })
}

const templates = [
  'config.defaults.toml',
  ...readdirSync(templatePath('modes'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `modes/${f}`),
]

// `npm test` builds before running the suite; the snapshot is part of the build.
describe.runIf(existsSync(SNAPSHOT_FILE))('built-in template snapshot (dist/templates.snapshot.json)', () => {
  it.each(templates)('%s: same data and the same line for every key as parsing the file', async (relative) => {
    const file = templatePath(relative)
    const text = readFileSync(file, 'utf8')
    const snapshot = snapshotSource(file, text, relative.endsWith('.toml') ? 'toml' : 'yaml')
    expect(snapshot, 'the build snapshots every built-in template').toBeDefined()
    await prepareLineLookups()
    const parsed = await parseConfigText(text, file)
    expect(snapshot!.data).toEqual(parsed.data)
    const paths = keyPaths(parsed.data)
    expect(paths.length).toBeGreaterThan(5)
    for (const keyPath of paths) expect(snapshot!.lineOf(keyPath), keyPath).toBe(parsed.lineOf(keyPath))
    expect((await readConfigSource(file))?.data).toEqual(parsed.data)
  })

  it('is not used for an edited template, nor for files outside templates/', () => {
    const file = templatePath('config.defaults.toml')
    const text = readFileSync(file, 'utf8')
    expect(snapshotSource(file, `${text}\n# edited\n`, 'toml')).toBeUndefined()
    expect(snapshotKey(path.join(templatePath(), '..', 'package.json'))).toBeUndefined()
    expect(snapshotSource('/tmp/config.defaults.toml', text, 'toml')).toBeUndefined()
  })

  it('hands out a copy: changing loaded data does not change the next load', () => {
    const file = templatePath('config.defaults.toml')
    const text = readFileSync(file, 'utf8')
    const first = snapshotSource(file, text, 'toml')!
    ;(first.data as Record<string, unknown>).oci = 'changed'
    expect(snapshotSource(file, text, 'toml')!.data.oci).not.toBe('changed')
  })
})
