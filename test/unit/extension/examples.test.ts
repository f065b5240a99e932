import {readdir, stat} from 'node:fs/promises'
import path from 'node:path'

import semver from 'semver'
import {beforeAll, describe, expect, it} from 'vitest'

import {type ExtensionManifest, normalizeManifest} from '../../../src/lib/extension/manifest.js'
import {validateExtension} from '../../../src/lib/extension/validate.js'
import {templatePath} from '../../../src/lib/util/package-root.js'

interface Example {
  folder: string
  manifest: ExtensionManifest
}

const catalogRoot = templatePath('examples')
const examples: Example[] = []

async function subfolders(dir: string): Promise<string[]> {
  const names = await readdir(dir)
  const out: string[] = []
  for (const name of names.sort()) if ((await stat(path.join(dir, name))).isDirectory()) out.push(name)
  return out
}

const versionsOf = (name: string) => examples.filter((e) => e.manifest.name === name).map((e) => e.manifest.version)
const find = (name: string, version: string) => examples.find((e) => e.manifest.name === name && e.manifest.version === version)!.manifest

beforeAll(async () => {
  for (const plural of await subfolders(catalogRoot)) {
    for (const name of await subfolders(path.join(catalogRoot, plural))) {
      for (const version of await subfolders(path.join(catalogRoot, plural, name))) {
        const folder = path.join(plural, name, version)
        const report = await validateExtension(path.join(catalogRoot, folder))
        expect(report.problems, folder).toEqual([])
        examples.push({folder, manifest: report.manifest!})
      }
    }
  }
})

describe('templates/examples catalog', () => {
  it('holds only valid extensions whose folder matches type, name and version', () => {
    expect(examples.length).toBeGreaterThanOrEqual(18)
    for (const {folder, manifest} of examples) {
      expect(folder).toBe(path.join(`${manifest.type}s`, manifest.name, manifest.version))
    }
  })

  it('has the versions the quickstart and the resolver tests rely on', () => {
    const expected: Record<string, string[]> = {
      aws: ['2.0.0', '2.1.0'],
      upcloud: ['1.5.0'],
      local: ['1.0.0'],
      os: ['1.0.0'],
      containerd: ['1.6.0', '1.6.9', '1.7.2'],
      etcd: ['3.5.9'],
      kubernetes: ['1.27.4', '1.28.0'],
      cilium: ['1.14.2'],
      helm: ['3.13.0'],
      redis: ['7.2.0'],
      postgres: ['16.1.0'],
      buildkit: ['0.12.0'],
      'k8s-basic': ['1.0.0'],
    }
    for (const [name, versions] of Object.entries(expected)) expect(versionsOf(name), name).toEqual(versions)
  })

  it('only refers to extensions of the catalog, and every hard range can be met', () => {
    for (const {folder, manifest} of examples) {
      const normalized = normalizeManifest(manifest)
      for (const relation of ['dependencies', 'optional'] as const) {
        for (const [name, range] of Object.entries(normalized[relation])) {
          expect(semver.maxSatisfying(versionsOf(name), range), `${folder}: ${relation}.${name} ${range}`).not.toBeNull()
        }
      }
      for (const name of Object.keys(normalized.conflicts)) expect(versionsOf(name).length, `${folder}: conflicts.${name}`).toBeGreaterThan(0)
    }
  })

  it('contains the designed backtracking case: containerd pinned to 1.6.9 forces kubernetes 1.27.4', () => {
    const newest = find('kubernetes', '1.28.0')
    const older = find('kubernetes', '1.27.4')
    expect(semver.satisfies('1.6.9', newest.dependencies!.containerd)).toBe(false)
    expect(semver.satisfies('1.6.9', older.dependencies!.containerd)).toBe(true)
    expect(semver.maxSatisfying(versionsOf('containerd'), newest.dependencies!.containerd)).toBe('1.7.2')
    expect(normalizeManifest(newest).optional).toEqual({cilium: '^1.14', helm: '*'})
    expect(normalizeManifest(find('redis', '7.2.0')).conflicts).toEqual({keydb: '*'})
  })
})
