import {readFileSync} from 'node:fs'
import path from 'node:path'

import {packageRoot, templatePath} from '../util/package-root.js'
import type {ConfigFormat, ConfigSource, ConfigTable} from './source-file.js'

/**
 * The built-in config templates (config.defaults.toml, modes/*.yaml), parsed at build time
 * by scripts/snapshot-templates.mjs. Every command reads them; with the snapshot, a run
 * whose user has no YAML or TOML of their own loads neither parser (yaml alone is ~70
 * modules, ~20 ms of each start). An entry is used only while its text still matches the
 * file byte for byte, so an edited template is parsed as usual.
 */
export const SNAPSHOT_FILE = path.join(packageRoot, 'dist', 'templates.snapshot.json')

export interface SnapshotEntry {
  text: string
  data: ConfigTable
  /** Key path → 1-based line, for `--origin` and error messages. */
  lines: Record<string, number>
}

let entries: Record<string, SnapshotEntry> | null | undefined

function load(): Record<string, SnapshotEntry> | null {
  if (entries === undefined) {
    try {
      entries = (JSON.parse(readFileSync(SNAPSHOT_FILE, 'utf8')) as {files: Record<string, SnapshotEntry>}).files
    } catch {
      entries = null // not built yet (tests from sources) or unreadable: parse the files
    }
  }
  return entries
}

/** The key of a template in the snapshot: its path below templates/, with forward slashes. */
export function snapshotKey(file: string): string | undefined {
  const relative = path.relative(templatePath(), file)
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined
  return relative.split(path.sep).join('/')
}

export function snapshotSource(file: string, text: string, format: ConfigFormat): ConfigSource | undefined {
  const key = snapshotKey(file)
  const entry = key === undefined ? undefined : load()?.[key]
  if (!entry || entry.text !== text) return undefined
  return {file, format, data: structuredClone(entry.data), lineOf: (keyPath) => (Object.hasOwn(entry.lines, keyPath) ? entry.lines[keyPath] : undefined)}
}
