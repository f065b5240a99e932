import {readdir, stat} from 'node:fs/promises'
import path from 'node:path'

import {ConfigError} from '../errors.js'
import {candidateFrom, invalidMetadata} from './candidate.js'
import type {CandidateVersion, Catalog} from './types.js'

export interface LocalRecord {
  candidate: CandidateVersion
  dir: string
}

export interface LocalCatalog extends Catalog {
  record(name: string, version: string): LocalRecord | undefined
  /** Every extension version in the folder, sorted by name then version. */
  records(): LocalRecord[]
}

const GROUPS = ['providers', 'taskservs', 'clusters']

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false)
}

/**
 * A catalog from a local source folder (SPEC §9.1 source_type local): every
 * `{type}/{name}/manifest.yaml`, or `{type}/{name}/{version}/manifest.yaml` for several
 * versions side by side (as in templates/examples).
 */
export async function readLocalCatalog(root: string): Promise<LocalCatalog> {
  if (!(await stat(root).then((s) => s.isDirectory(), () => false))) {
    throw new ConfigError(`the local extension source ${root} does not exist`, {hint: 'create it, or fix dependencies.extensions.local.path', details: {path: root}})
  }
  const {parseManifestYaml} = await import('../extension/manifest.js')
  const {readFile} = await import('node:fs/promises')
  const byName = new Map<string, CandidateVersion[]>()
  const records = new Map<string, LocalRecord>()
  const add = async (dir: string, name: string) => {
    const file = path.join(dir, 'manifest.yaml')
    const {manifest, problems} = parseManifestYaml(await readFile(file, 'utf8'))
    if (!manifest) throw invalidMetadata(file, 'local', problems)
    const candidate = candidateFrom(manifest, {name, tag: manifest.version, where: file})
    byName.set(name, [...(byName.get(name) ?? []), candidate])
    records.set(`${name}@${candidate.version}`, {candidate, dir})
  }
  for (const group of GROUPS) {
    const groupDir = path.join(root, group)
    for (const entry of await readdir(groupDir, {withFileTypes: true}).catch(() => [])) {
      if (!entry.isDirectory()) continue
      const dir = path.join(groupDir, entry.name)
      if (await isFile(path.join(dir, 'manifest.yaml'))) await add(dir, entry.name)
      else for (const version of await readdir(dir, {withFileTypes: true})) {
        if (version.isDirectory() && (await isFile(path.join(dir, version.name, 'manifest.yaml')))) await add(path.join(dir, version.name), entry.name)
      }
    }
  }
  const sorted = () => [...records.values()].sort((a, b) => a.candidate.name.localeCompare(b.candidate.name) || a.candidate.version.localeCompare(b.candidate.version, 'en', {numeric: true}))
  return {versions: (name) => byName.get(name), record: (name, version) => records.get(`${name}@${version}`), records: sorted}
}
