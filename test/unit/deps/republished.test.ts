import {describe, expect, it} from 'vitest'

import {formatUpdates} from '../../../src/cli/format/deps.js'
import {IntegrityError} from '../../../src/lib/errors.js'
import {LOCKFILE_VERSION, type LockedExtension, type Lockfile} from '../../../src/lib/deps/lockfile.js'
import {assertRepublishedAccepted, findRepublished, type Republished} from '../../../src/lib/deps/republished.js'
import {catalogOf} from './catalog-of.js'

const OLD = `sha256:${'a'.repeat(64)}`
const NEW = `sha256:${'b'.repeat(64)}`
const HOST = 'localhost:5000/team'

const entry = (name: string, version: string, digest: string, reference = `${HOST}/${name}:${version}`): LockedExtension => ({
  name,
  type: 'taskserv',
  version,
  reference,
  digest,
  dependencies: {},
  optional: {},
})

const lockOf = (...extensions: LockedExtension[]): Lockfile => ({lockfile_version: LOCKFILE_VERSION, inputs_digest: OLD, core_version: '1.0.0', extensions})

const candidate = (name: string, version: string) => ({name, version, tag: version, dependencies: {}, optional: {}, conflicts: {}})

describe('republished locked versions', () => {
  const catalog = catalogOf([candidate('redis', '7.2.5'), candidate('redis', '7.3.0'), candidate('etcd', '3.5.0'), candidate('moved', '1.0.0')])
  /** What the registry catalog now says: redis 7.2.5 and moved 1.0.0 have new digests. */
  const registry: Record<string, {digest?: string; reference: string}> = {
    'redis@7.2.5': {digest: NEW, reference: `${HOST}/redis:7.2.5`},
    'etcd@3.5.0': {digest: OLD, reference: `${HOST}/etcd:3.5.0`},
    'moved@1.0.0': {digest: NEW, reference: 'other.example:5000/team/moved:1.0.0'},
  }
  const originOf = (name: string, version: string) => registry[`${name}@${version}`]

  it('finds a locked version whose digest changed in the same repository, not one whose source moved or that the catalog lacks', () => {
    const lock = lockOf(entry('etcd', '3.5.0', OLD), entry('redis', '7.2.5', OLD), entry('moved', '1.0.0', OLD), entry('gone', '0.1.0', OLD))
    expect(findRepublished(lock, catalog, originOf)).toEqual([{name: 'redis', version: '7.2.5', reference: `${HOST}/redis:7.2.5`, locked: OLD, current: NEW}])
    expect(findRepublished(undefined, catalog, originOf)).toEqual([])
  })

  it('a local source (no digest from the catalog) is never reported', () => {
    const lock = lockOf(entry('redis', '7.2.5', OLD, 'local:/src/redis'))
    expect(findRepublished(lock, catalog, () => ({reference: 'local:/src/redis'}))).toEqual([])
  })

  it('refuses (exit 8) every republished name not accepted, naming both digests and the per-name way forward', () => {
    const found: Republished[] = [
      {name: 'etcd', version: '3.5.0', reference: `${HOST}/etcd:3.5.0`, locked: OLD, current: NEW},
      {name: 'redis', version: '7.2.5', reference: `${HOST}/redis:7.2.5`, locked: OLD, current: NEW},
    ]
    expect(() => assertRepublishedAccepted(found, ['etcd', 'redis'])).not.toThrow()
    let error: unknown
    try {
      assertRepublishedAccepted(found, ['etcd'])
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(IntegrityError)
    const integrity = error as IntegrityError
    expect(integrity.exit).toBe(8)
    expect(integrity.message).toBe(`redis@7.2.5 was republished: locked ${OLD}, registry now ${NEW}`)
    expect(integrity.hint).toContain('"provisioning dep update redis --accept-republished"')
    expect(integrity.details).toEqual({republished: [found[1]]})
  })

  it('dep check-updates text: the row is marked and the summary names the way forward and exit 8', () => {
    const text = formatUpdates({
      workspace: '/ws',
      outdated: 0,
      republished: 1,
      extensions: [
        {name: 'redis', type: 'taskserv', locked: '7.2.5', wanted: '7.2.5', latest: '7.2.5', outdated: false, republished: {locked: OLD, current: NEW}},
      ],
    })
    const lines = text.split('\n')
    expect(lines[1]).toMatch(/^redis\s+7\.2\.5\s+7\.2\.5\s+7\.2\.5\s+REPUBLISHED$/)
    expect(lines.slice(2)).toEqual([
      'everything is up to date',
      `redis@7.2.5 was republished: locked ${OLD}, registry now ${NEW}`,
      '1 republished (exit 8): check the new content, then "provisioning dep update redis --accept-republished"',
    ])
  })
})
