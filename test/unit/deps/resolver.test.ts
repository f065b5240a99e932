import {describe, expect, it} from 'vitest'

import {resolve} from '../../../src/lib/deps/resolver.js'
import type {Catalog, CandidateVersion, RootRequirement} from '../../../src/lib/deps/types.js'
import {candidate, exampleCatalog} from './example-catalog.js'

const root = (name: string, range = '*'): RootRequirement => ({name, range, source: `modules: ${name}`})
const catalogOf = (all: CandidateVersion[]): Catalog => ({
  versions: (name) => {
    const found = all.filter((v) => v.name === name)
    return found.length > 0 ? found : undefined
  },
})
const picked = (catalog: Catalog, roots: RootRequirement[], extra = {}) =>
  Object.fromEntries([...resolve({catalog, roots, coreVersion: '0.1.0', ...extra}).selected].map(([n, v]) => [n, v.version]))
const failure = (catalog: Catalog, roots: RootRequirement[], coreVersion = '0.1.0') => {
  try {
    resolve({catalog, roots, coreVersion})
  } catch (error) {
    return error as Error & {exit: number; details: Record<string, unknown>}
  }
  throw new Error('expected resolution to fail')
}

describe('resolver on the example catalog', () => {
  const catalog = exampleCatalog()

  it('picks the highest versions and orders dependencies first, ties by name', () => {
    const result = resolve({catalog, roots: [root('k8s-basic'), root('aws'), root('postgres')], coreVersion: '0.1.0'})
    expect(Object.fromEntries([...result.selected].map(([n, v]) => [n, v.version]))).toEqual({
      aws: '2.1.0',
      cilium: '1.14.2',
      containerd: '1.7.2',
      etcd: '3.5.9',
      'k8s-basic': '1.0.0',
      kubernetes: '1.28.0',
      os: '1.0.0',
      postgres: '16.1.0',
    })
    expect(result.order).toEqual(['aws', 'containerd', 'etcd', 'os', 'kubernetes', 'postgres', 'cilium', 'k8s-basic'])
    expect(result.requiredBy.get('kubernetes')).toEqual(
      expect.arrayContaining([expect.objectContaining({from: 'k8s-basic', range: '^1.27'}), expect.objectContaining({from: 'cilium', range: '>=1.27'})]),
    )
  })

  it('backtracks to an older kubernetes when containerd is pinned to 1.6.9', () => {
    expect(picked(catalog, [root('kubernetes'), root('containerd', '1.6.9')])).toMatchObject({kubernetes: '1.27.4', containerd: '1.6.9'})
    expect(picked(catalog, [root('k8s-basic'), root('containerd', '1.6.9')])).toMatchObject({kubernetes: '1.27.4'})
  })

  it('does not install optional dependencies unless something requires them, but checks them when present', () => {
    expect(picked(catalog, [root('kubernetes')])).not.toHaveProperty('helm')
    expect(picked(catalog, [root('kubernetes'), root('helm')])).toMatchObject({helm: '3.13.0', kubernetes: '1.28.0'})
    const strict = catalogOf([...exampleCatalog().all, candidate('helm', '2.0.0')])
    // kubernetes 1.28.0 accepts any helm; a workspace pinning an old helm still resolves.
    expect(picked(strict, [root('kubernetes'), root('helm', '2.0.0')])).toMatchObject({helm: '2.0.0'})
  })

  it('orders a present optional dependency first unless a hard edge says otherwise', () => {
    const result = resolve({catalog, roots: [root('kubernetes'), root('helm')], coreVersion: '0.1.0'})
    expect(result.order.indexOf('helm')).toBeLessThan(result.order.indexOf('kubernetes'))
    // cilium hard-requires kubernetes, and kubernetes 1.28.0 lists cilium as optional: the hard edge wins.
    const withCilium = resolve({catalog, roots: [root('kubernetes'), root('cilium')], coreVersion: '0.1.0'})
    expect(withCilium.order.indexOf('kubernetes')).toBeLessThan(withCilium.order.indexOf('cilium'))
  })

  it('explains an unsatisfiable pin with every constraint and the versions that exist (exit 5)', () => {
    const error = failure(catalog, [root('kubernetes', '1.28.0'), root('containerd', '1.6.x')])
    expect(error.exit).toBe(5)
    // The story of SPEC §9.2: who required what, through which chain, and what exists.
    expect(error.message).toContain('no version of containerd satisfies every constraint')
    expect(error.message).toContain('workspace -> containerd 1.6.x')
    expect(error.message).toContain('workspace -> kubernetes@1.28.0 -> containerd >=1.7.0')
    expect(error.message).toContain('available versions of containerd: 1.6.0, 1.6.9, 1.7.2')
  })

  it('explains a conflict with both sides', () => {
    const error = failure(catalog, [root('redis'), root('keydb')])
    expect(error.exit).toBe(5)
    expect(error.message).toMatch(/conflicts with keydb/)
    expect(error.message).toMatch(/workspace -> (redis|keydb)/)
  })

  it('explains a missing extension with the chain that required it', () => {
    const broken = catalogOf([candidate('app', '1.0.0', {dependencies: {lib: '^1'}}), candidate('lib', '0.9.0')])
    const error = failure(broken, [root('app')])
    expect(error.message).toContain('workspace -> app@1.0.0 -> lib ^1')
    expect(error.message).toContain('available versions of lib: 0.9.0')
    expect(error.message).toContain('Because app 1.0.0 depends on lib ^1 and no version of lib matches ^1 (available: 0.9.0), app 1.0.0 cannot be installed.')
    const missing = failure(catalogOf([candidate('app', '1.0.0', {dependencies: {ghost: '*'}})]), [root('app')])
    expect(missing.message).toContain('no extension named "ghost"')
    expect(missing.message).toContain('workspace -> app@1.0.0 -> ghost *')
  })

  it('reports a dependency cycle with its whole path', () => {
    const cyclic = catalogOf([
      candidate('a', '1.0.0', {dependencies: {b: '*'}}),
      candidate('b', '1.0.0', {dependencies: {c: '*'}}),
      candidate('c', '1.0.0', {dependencies: {a: '*'}}),
    ])
    const error = failure(cyclic, [root('a')])
    expect(error.exit).toBe(5)
    expect(error.message).toContain('a -> b -> c -> a')
  })

  it('skips versions that need a newer core', () => {
    const core = catalogOf([candidate('x', '2.0.0', {minProvisioningVersion: '9.0.0'}), candidate('x', '1.0.0')])
    expect(picked(core, [root('x')])).toEqual({x: '1.0.0'})
    expect(failure(core, [root('x', '2.0.0')]).message).toContain('needs provisioning >= 9.0.0')
  })

  it('prefers locked versions while they still fit, unless unlocked', () => {
    const preferred = new Map([['containerd', '1.6.0']])
    expect(picked(catalog, [root('containerd')], {preferred})).toEqual({containerd: '1.6.0'})
    expect(picked(catalog, [root('containerd')], {preferred, unlock: new Set(['containerd'])})).toEqual({containerd: '1.7.2'})
    expect(picked(catalog, [root('containerd', '>=1.7')], {preferred})).toEqual({containerd: '1.7.2'})
  })

  it('ignores pre-releases unless a range names one, and is deterministic', () => {
    const pre = catalogOf([candidate('x', '1.0.0'), candidate('x', '1.1.0-rc.1')])
    expect(picked(pre, [root('x')])).toEqual({x: '1.0.0'})
    expect(picked(pre, [root('x', '>=1.1.0-rc.0')])).toEqual({x: '1.1.0-rc.1'})
    const a = resolve({catalog, roots: [root('k8s-basic'), root('redis')], coreVersion: '0.1.0'})
    const b = resolve({catalog, roots: [root('redis'), root('k8s-basic')], coreVersion: '0.1.0'})
    expect([...a.selected.keys()]).toEqual([...b.selected.keys()])
    expect(a.order).toEqual(b.order)
  })

  it('backjumps over unrelated choices instead of retrying them', () => {
    // 30 independent names with 5 versions each, then a dead end that only `app` can fix:
    // chronological backtracking would try 5^30 combinations.
    const all: CandidateVersion[] = []
    const deps: Record<string, string> = {}
    for (let i = 0; i < 30; i++) {
      deps[`n${String(i).padStart(2, '0')}`] = '*'
      for (let v = 1; v <= 5; v++) all.push(candidate(`n${String(i).padStart(2, '0')}`, `${v}.0.0`))
    }
    all.push(
      candidate('app', '2.0.0', {dependencies: {...deps, zz: '>=2'}}),
      candidate('app', '1.0.0', {dependencies: {...deps, zz: '1.x'}}),
      candidate('zz', '1.0.0'),
      candidate('zz', '2.0.0', {conflicts: {n00: '*'}}),
    )
    const started = performance.now()
    expect(picked(catalogOf(all), [root('app')])).toMatchObject({app: '1.0.0', zz: '1.0.0', n00: '5.0.0'})
    expect(performance.now() - started).toBeLessThan(1000)
  })
})
