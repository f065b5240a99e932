import {describe, expect, it} from 'vitest'

import type {Declaration} from '../../../src/lib/deps/declaration.js'
import {extensionDir} from '../../../src/lib/deps/install.js'
import {lockContentProblems, lockContractProblems} from '../../../src/lib/deps/lock-contract.js'
import {checkFollowedLock} from '../../../src/lib/deps/lock-verify.js'
import {parseLockedReference} from '../../../src/lib/deps/locked-reference.js'
import type {LockedExtension, Lockfile} from '../../../src/lib/deps/lockfile.js'
import type {ExtensionManifest} from '../../../src/lib/extension/manifest-schema.js'

const DIGEST = `sha256:${'a'.repeat(64)}`

const entry = (name: string, version: string, extra: Partial<LockedExtension> = {}): LockedExtension => ({
  name,
  type: 'taskserv',
  version,
  reference: `reg.example:5000/ns/${name}:${version}`,
  digest: DIGEST,
  dependencies: {},
  optional: {},
  ...extra,
})

const lockOf = (...extensions: LockedExtension[]): Lockfile => ({lockfile_version: 1, inputs_digest: DIGEST, core_version: '1.0.0', extensions})

const ociDeclaration = (modules: Declaration['modules']): Declaration => ({source: {kind: 'oci', registry: 'reg.example:5000', namespace: 'ns'}, modules})
const module = (name: string, range = '*'): Declaration['modules'][number] => ({name, type: 'taskserv', range, declaredAt: `modules.taskservs[${name}]`})

describe('parseLockedReference', () => {
  it('accepts the three forms this CLI writes', () => {
    expect(parseLockedReference('reg.example:5000/ns/redis:7.2.0', DIGEST)).toEqual({
      kind: 'oci',
      reference: {location: {kind: 'remote', host: 'reg.example:5000'}, repository: 'ns/redis', tag: '7.2.0', digest: DIGEST},
    })
    expect(parseLockedReference('oci-layout:///srv/store/ns/redis:7.2.0', DIGEST)).toEqual({
      kind: 'oci',
      reference: {location: {kind: 'layout', root: '/srv/store/ns/redis'}, repository: '', tag: '7.2.0', digest: DIGEST},
    })
    expect(parseLockedReference('local:/src/taskservs/redis', DIGEST)).toEqual({kind: 'local', dir: '/src/taskservs/redis'})
  })

  it.each([
    'local:relative/dir',
    'local:/src/../etc',
    'local:/src/x\n',
    'oci-layout://relative:1.0.0',
    'oci-layout:///a/../b:1.0.0',
    '../x/redis:1.0.0',
    'reg.example/ns/../redis:1.0.0',
    'reg.example/ns/redis',
    `reg.example/ns/redis@${DIGEST}`,
    'https://reg.example/ns/redis:1.0.0',
    'user:pass@reg.example/ns/redis:1.0.0',
    '',
  ])('refuses %j', (text) => {
    expect(parseLockedReference(text, DIGEST)).toBeUndefined()
  })
})

describe('lockContractProblems', () => {
  it('holds for a lock a resolution would write', () => {
    const lock = lockOf(entry('a', '1.0.0', {dependencies: {b: '2.0.0'}}), entry('b', '2.0.0'))
    expect(lockContractProblems(lock, ociDeclaration([module('a', '^1')]), '/').problems).toEqual([])
  })

  it('names every disagreement: host, repository, tag, kind, missing and unreachable entries, type and range', () => {
    const lock = lockOf(
      entry('a', '1.0.0', {reference: 'evil.example/ns/a:1.0.0'}),
      entry('b', '1.0.0', {reference: 'reg.example:5000/other/b:1.0.0'}),
      entry('c', '1.0.0', {reference: 'reg.example:5000/ns/c:1.0.1'}),
      entry('d', '1.0.0', {reference: 'local:/tmp/d'}),
      entry('e', '3.0.0', {type: 'provider'}),
      entry('f', '1.0.0'),
      entry('g', '1.0.0'),
    )
    const declaration = ociDeclaration(['a', 'b', 'c', 'd', 'e', 'f', 'missing'].map((n) => module(n, n === 'f' ? '^2' : '*')))
    expect(lockContractProblems(lock, declaration, '/').problems).toEqual([
      'a@1.0.0: reference evil.example/ns/a:1.0.0 is not in reg.example:5000/ns/a, where the declaration looks for a',
      'b@1.0.0: reference reg.example:5000/other/b:1.0.0 is not in reg.example:5000/ns/b, where the declaration looks for b',
      'c@1.0.0: reference reg.example:5000/ns/c:1.0.1 is tagged for another version than 1.0.0',
      "d@1.0.0: reference local:/tmp/d names a local folder, but the workspace's extensions come from an OCI registry",
      'e is declared as a taskserv (modules.taskservs[e]) but locked as a provider',
      'f@1.0.0 is locked, but modules.taskservs[f] asks for ^2',
      'missing is declared (modules.taskservs[missing]) but not locked',
      'g@1.0.0 is locked, but nothing declared requires it',
    ])
  })

  it('names the declaring file and line of a declared module when the declaration can locate it', async () => {
    const lock = lockOf(entry('e', '3.0.0', {type: 'provider'}), entry('f', '1.0.0'))
    const sites: Record<string, string> = {'modules.taskservs[e]': 'config/provisioning.yaml:7', 'modules.taskservs[missing]': 'config/provisioning.yaml:9'}
    const declaration: Declaration = {...ociDeclaration([module('e'), module('f', '^2'), module('missing')]), locate: async (keyPath) => sites[keyPath]}
    expect((await checkFollowedLock(undefined, lock, declaration, {offline: true, concurrency: 1})).problems).toEqual([
      'e is declared as a taskserv (modules.taskservs[e], config/provisioning.yaml:7) but locked as a provider',
      'f@1.0.0 is locked, but modules.taskservs[f] asks for ^2',
      'missing is declared (modules.taskservs[missing], config/provisioning.yaml:9) but not locked',
    ])
    expect(lockContractProblems(lock, declaration, '/', new Map([['f', 'config/dev-defaults.toml:3']])).problems).toContain(
      'f@1.0.0 is locked, but modules.taskservs[f] (config/dev-defaults.toml:3) asks for ^2',
    )
  })

  it('an entry named "constructor" is a name like any other (no prototype lookups)', () => {
    const lock = lockOf(entry('redis', '1.0.0', {dependencies: {constructor: '1.0.0'}}), entry('constructor', '1.0.0'), entry('tostring', '1.0.0'))
    const declaration = ociDeclaration([module('redis')])
    expect(lockContractProblems(lock, declaration, '/').problems).toEqual(['tostring@1.0.0 is locked, but nothing declared requires it'])
    const manifest: ExtensionManifest = {name: 'redis', type: 'taskserv', version: '1.0.0'}
    expect(lockContentProblems(lock.extensions[0], manifest, lock)).toEqual([
      'redis@1.0.0: the lock lists constructor as a dependency its content does not declare',
    ])
  })

  it('a local source accepts only {group}/{name}[/{version}] folders inside it', () => {
    const declaration: Declaration = {source: {kind: 'local', path: '/src'}, modules: [module('a'), module('b'), module('c'), module('d')]}
    const lock = lockOf(
      entry('a', '1.0.0', {reference: 'local:/src/taskservs/a'}),
      entry('b', '1.0.0', {reference: 'local:/src/providers/b/1.0.0'}),
      entry('c', '1.0.0', {reference: 'local:/elsewhere/taskservs/c'}),
      entry('d', '1.0.0', {reference: 'local:/src/taskservs/a'}),
    )
    expect(lockContractProblems(lock, declaration, '/').problems).toEqual([
      "c@1.0.0: reference local:/elsewhere/taskservs/c is not c's folder in the local source /src",
      "d@1.0.0: reference local:/src/taskservs/a is not d's folder in the local source /src",
    ])
  })
})

describe('lockContentProblems', () => {
  const manifest = (fields: Partial<ExtensionManifest>): ExtensionManifest => ({name: 'a', type: 'taskserv', version: '1.0.0', ...fields})

  it('holds when the content declares what the lock records', () => {
    const lock = lockOf(entry('a', '1.0.0', {dependencies: {b: '2.0.0'}, optional: {c: '1.0.0'}}), entry('b', '2.0.0'), entry('c', '1.0.0'))
    expect(lockContentProblems(lock.extensions[0], manifest({dependencies: {b: '^2'}, optional: {c: '*', d: '*'}, conflicts: {b: '<2'}}), lock)).toEqual([])
  })

  it('finds other content, changed requirements, conflicts and the core version', () => {
    const lock = lockOf(entry('a', '1.0.0', {dependencies: {b: '2.0.0', x: '1.0.0'}}), entry('b', '2.0.0'), entry('c', '1.0.0'), entry('x', '1.0.0'))
    expect(lockContentProblems(lock.extensions[0], manifest({version: '9.9.9'}), lock)).toEqual(['a@1.0.0: the locked content is version 9.9.9'])
    expect(lockContentProblems(lock.extensions[0], manifest({type: 'cluster'}), lock)).toEqual([
      'a@1.0.0: the locked content is a cluster, but the lock says taskserv',
    ])
    expect(
      lockContentProblems(
        lock.extensions[0],
        manifest({dependencies: {b: '^3'}, optional: {c: '*'}, conflicts: {c: '*'}, min_provisioning_version: '2.0.0'}),
        lock,
      ),
    ).toEqual([
      'a@1.0.0 requires b ^3, but b@2.0.0 is locked',
      'a@1.0.0: the lock lists x as a dependency its content does not declare',
      'a@1.0.0: optional c is locked but not recorded as present',
      'a@1.0.0 conflicts with c *, but c@1.0.0 is locked',
      'a@1.0.0 needs provisioning 2.0.0 or newer, but the lock is for core 1.0.0',
    ])
  })
})

describe('the manifest schema against hostile config blobs', () => {
  it('refuses more than 1,000 names in one relation, in linear time', async () => {
    const {validateManifest, MAX_RELATION_ENTRIES} = await import('../../../src/lib/extension/manifest-schema.js')
    const names = Array.from({length: 200_000}, (_, i) => `n${i}`)
    const started = performance.now()
    const problems = validateManifest({
      name: 'x',
      type: 'taskserv',
      version: '1.0.0',
      optional: names,
      conflicts: Object.fromEntries(names.map((n) => [n, '*'])),
    })
    // Quadratic work on 200,000 names would take hours; 20 s leaves room for a loaded machine.
    expect(performance.now() - started).toBeLessThan(20_000)
    expect(problems.map((p) => p.message)).toEqual([
      `optional lists 200000 extensions (at most ${MAX_RELATION_ENTRIES})`,
      `conflicts lists 200000 extensions (at most ${MAX_RELATION_ENTRIES})`,
    ])
  })
})

describe('extensionDir', () => {
  it('builds <ws>/extensions/{type}s/{name} and refuses anything that would leave it', () => {
    expect(extensionDir('/ws', 'taskserv', 'redis')).toBe('/ws/extensions/taskservs/redis')
    for (const [type, name] of [
      ['taskserv', '../../../victim'],
      ['../../x/y', 'redis'],
      ['taskserv', '.'],
      ['taskserv', 'a/b'],
      ['taskserv', 'x'.repeat(300)],
    ]) {
      expect(() => extensionDir('/ws', type as 'taskserv', name)).toThrow(/refusing to use/)
    }
  })
})
