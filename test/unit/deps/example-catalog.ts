import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {parse} from 'yaml'

import type {CandidateVersion, Catalog} from '../../../src/lib/deps/types.js'
import {repoRoot} from '../../helpers/cli.js'

type Relation = Record<string, string> | string[] | undefined
const asMap = (r: Relation): Record<string, string> => (Array.isArray(r) ? Object.fromEntries(r.map((n) => [n, '*'])) : {...r})

/** The manifests of templates/examples as an in-memory catalog. */
export function exampleCatalog(extra: CandidateVersion[] = []): Catalog & {all: CandidateVersion[]} {
  const root = path.join(repoRoot, 'templates', 'examples')
  const all: CandidateVersion[] = [...extra]
  for (const type of readdirSync(root).filter((t) => !t.includes('.'))) {
    for (const name of readdirSync(path.join(root, type))) {
      for (const version of readdirSync(path.join(root, type, name))) {
        const m = parse(readFileSync(path.join(root, type, name, version, 'manifest.yaml'), 'utf8')) as Record<string, unknown>
        all.push({
          name: m.name as string,
          version: m.version as string,
          tag: m.version as string,
          type: m.type as CandidateVersion['type'],
          dependencies: asMap(m.dependencies as Relation),
          optional: asMap(m.optional as Relation),
          conflicts: asMap(m.conflicts as Relation),
          minProvisioningVersion: m.min_provisioning_version as string | undefined,
        })
      }
    }
  }
  return {
    all,
    versions: (name) => {
      const found = all.filter((v) => v.name === name)
      return found.length > 0 ? found : undefined
    },
  }
}

export function candidate(
  name: string,
  version: string,
  relations: Partial<Pick<CandidateVersion, 'dependencies' | 'optional' | 'conflicts' | 'minProvisioningVersion'>> = {},
): CandidateVersion {
  return {name, version, tag: version, dependencies: {}, optional: {}, conflicts: {}, ...relations}
}
