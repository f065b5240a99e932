import {describe, expect, it} from 'vitest'

import {normalizeManifest, parseManifestYaml, validateManifest, type ExtensionManifest} from '../../../src/lib/extension/manifest.js'

const valid = {name: 'kubernetes', type: 'taskserv', version: '1.28.0'}
const errorFields = (data: unknown) =>
  validateManifest(data)
    .filter((p) => p.severity === 'error')
    .map((p) => p.field)
const warnings = (data: unknown) => validateManifest(data).filter((p) => p.severity === 'warning')

describe('validateManifest', () => {
  it('accepts a minimal and a complete manifest', () => {
    expect(validateManifest(valid)).toEqual([])
    expect(
      validateManifest({
        ...valid,
        description: 'Kubernetes',
        author: 'Provisioning Team',
        license: 'MIT',
        homepage: 'https://kubernetes.io',
        repository: 'https://git.example.com/k8s',
        dependencies: {containerd: '>=1.7.0', etcd: '^3.5'},
        optional: {cilium: '^1.14', helm: '*'},
        conflicts: ['docker-shim'],
        tags: ['kubernetes', 'cncf'],
        platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
        min_provisioning_version: '0.1.0',
      }),
    ).toEqual([])
    expect(validateManifest({...valid, optional: ['helm'], conflicts: {docker: '<20'}, version: '2.0.0-rc.1'})).toEqual([])
    expect(validateManifest({...valid, dependencies: {a: '>=1 <2 || 3.x', b: '~1.2.3', c: '1.x'}})).toEqual([])
  })

  it('reports every problem of a broken manifest at once', () => {
    const problems = validateManifest({
      name: 'Bad Name',
      type: 'taskservs',
      version: 'v1.2',
      description: 5,
      homepage: ['x'],
      dependencies: {etcd: 'latest', Bad_Name: '^1', os: 3},
      optional: 5,
      conflicts: [1, 'ok-name'],
      tags: 'kubernetes',
      platforms: ['linux', 'linux/amd64'],
      min_provisioning_version: 1.2,
      dependecies: {},
    })
    const errors = problems.filter((p) => p.severity === 'error').map((p) => p.field)
    expect(errors).toEqual([
      'name',
      'type',
      'version',
      'description',
      'homepage',
      'dependencies.etcd',
      'dependencies.Bad_Name',
      'dependencies.os',
      'optional',
      'conflicts[0]',
      'tags',
      'platforms[0]',
      'min_provisioning_version',
    ])
    expect(problems.every((p) => p.message.length > 0 && p.hint.length > 0)).toBe(true)
    const byField = (field: string) => problems.find((p) => p.field === field)
    expect(byField('type')?.hint).toBe('use the singular: type: taskserv')
    expect(byField('version')?.message).toContain('must not start with "v"')
    expect(byField('dependencies.os')?.hint).toContain('quote it')
    expect(byField('dependecies')).toMatchObject({severity: 'warning', hint: 'did you mean dependencies?'})
  })

  it('requires name, type and version and a map at the top', () => {
    expect(errorFields({})).toEqual(['name', 'type', 'version'])
    expect(errorFields({name: null, type: null, version: null})).toEqual(['name', 'type', 'version'])
    for (const notAMap of [null, 'name: x', ['a'], 42]) expect(errorFields(notAMap)).toEqual(['manifest'])
  })

  it('checks name syntax', () => {
    for (const name of ['redis', '0ad', 'k8s-basic', 'a.b_c-d']) expect(errorFields({...valid, name})).toEqual([])
    for (const name of ['Redis', '-x', '.x', 'a b', 'a/b', '', 'ü']) expect(errorFields({...valid, name})).toEqual(['name'])
  })

  it('wants exact semver without v, build metadata or numbers', () => {
    expect(errorFields({...valid, version: '1.28'})).toEqual(['version'])
    expect(errorFields({...valid, version: '=1.2.3'})).toEqual(['version'])
    expect(errorFields({...valid, version: ' 1.2.3'})).toEqual(['version'])
    expect(validateManifest({...valid, version: '1.2.3+build.5'})[0].message).toContain('build metadata')
    expect(validateManifest({...valid, version: 1.28})[0].hint).toBe('quote it: version: "1.28.0"')
    expect(errorFields({...valid, min_provisioning_version: 'v1.0.0'})).toEqual(['min_provisioning_version'])
  })

  it('checks ranges and rejects empty ones', () => {
    expect(errorFields({...valid, dependencies: {etcd: ''}})).toEqual(['dependencies.etcd'])
    expect(errorFields({...valid, dependencies: {etcd: '>>1'}})).toEqual(['dependencies.etcd'])
    expect(errorFields({...valid, optional: {etcd: 'nope'}})).toEqual(['optional.etcd'])
    expect(errorFields({...valid, dependencies: ['etcd']})).toEqual(['dependencies'])
  })

  it('refuses self references and dependency/conflict overlaps', () => {
    expect(errorFields({...valid, dependencies: {kubernetes: '*'}})).toEqual(['dependencies.kubernetes'])
    expect(errorFields({...valid, optional: ['kubernetes']})).toEqual(['optional.kubernetes'])
    expect(errorFields({...valid, conflicts: {kubernetes: '<1'}})).toEqual(['conflicts.kubernetes'])
    expect(errorFields({...valid, dependencies: {etcd: '^3'}, conflicts: ['etcd']})).toEqual(['conflicts.etcd'])
    expect(warnings({...valid, dependencies: {etcd: '^3'}, optional: ['etcd']})).toEqual([expect.objectContaining({field: 'optional.etcd'})])
    expect(warnings({...valid, optional: ['etcd'], conflicts: ['etcd']})).toEqual([expect.objectContaining({field: 'conflicts.etcd'})])
    expect(warnings({...valid, optional: ['etcd', 'etcd']})).toEqual([expect.objectContaining({field: 'optional[1]'})])
  })

  it('warns about unknown fields, suggesting close names', () => {
    const found = warnings({...valid, licence: 'MIT', x_custom: 1})
    expect(found.map((p) => [p.field, p.suggestion])).toEqual([
      ['licence', 'license'],
      ['x_custom', undefined],
    ])
    expect(found[0].hint).toBe('did you mean license?')
    expect(errorFields({...valid, licence: 'MIT'})).toEqual([])
  })
})

describe('parseManifestYaml', () => {
  it('returns a typed manifest when valid', () => {
    const {manifest, problems} = parseManifestYaml('name: etcd\ntype: taskserv\nversion: 3.5.9\n')
    expect(problems).toEqual([])
    expect(manifest).toEqual({name: 'etcd', type: 'taskserv', version: '3.5.9'})
  })

  it('reports syntax errors with line and column', () => {
    const {manifest, problems} = parseManifestYaml('name: etcd\ntype: taskserv\ntags: [a,\n  b: c\n')
    expect(manifest).toBeUndefined()
    expect(problems[0]).toMatchObject({severity: 'error', field: 'manifest.yaml', line: expect.any(Number), column: expect.any(Number)})
    expect(problems[0].message).toMatch(/^YAML syntax error/)
    expect(problems[0].line).toBeGreaterThanOrEqual(3)
  })

  it('reports duplicate keys', () => {
    const {problems} = parseManifestYaml('name: a\nname: b\ntype: taskserv\nversion: 1.0.0\n')
    expect(problems).toEqual([expect.objectContaining({field: 'manifest.yaml', line: 2})])
  })

  it('refuses unknown fields nested past the limit or containing themselves (they are walked recursively later)', () => {
    const deep = parseManifestYaml(`name: etcd\ntype: taskserv\nversion: 3.5.9\nextra: ${'['.repeat(100)}${']'.repeat(100)}\n`)
    expect(deep.manifest).toBeUndefined()
    expect(deep.problems[0].message).toMatch(/^values nest more than 64 levels deep \(at extra\.0\.0/)
    const loop = parseManifestYaml('name: etcd\ntype: taskserv\nversion: 3.5.9\nextra: &x\n  again: *x\n')
    expect(loop.problems[0].message).toContain('the value of extra.again contains itself')
  })

  it('validates the fields of a parseable document', () => {
    const {manifest, problems} = parseManifestYaml('name: etcd\ntype: service\nversion: 3.5\n')
    expect(manifest).toBeUndefined()
    expect(problems.map((p) => p.field)).toEqual(['type', 'version'])
  })
})

describe('normalizeManifest', () => {
  it('turns relation lists into maps, fills absent relations and sorts keys', () => {
    const manifest: ExtensionManifest = {
      version: '7.2.0',
      type: 'taskserv',
      name: 'redis',
      tags: ['db', 'cache'],
      conflicts: ['keydb', 'dragonfly'],
      dependencies: {os: '^1.0', glibc: '*'},
    }
    const normalized = normalizeManifest(manifest)
    expect(normalized).toEqual({
      conflicts: {dragonfly: '*', keydb: '*'},
      dependencies: {glibc: '*', os: '^1.0'},
      name: 'redis',
      optional: {},
      tags: ['db', 'cache'],
      type: 'taskserv',
      version: '7.2.0',
    })
    expect(Object.keys(normalized)).toEqual([...Object.keys(normalized)].sort())
    expect(Object.keys(normalized.dependencies)).toEqual(['glibc', 'os'])
    expect(Object.keys(normalized.conflicts)).toEqual(['dragonfly', 'keydb'])
  })

  it('serializes equivalent manifests to the same bytes and keeps unknown fields', () => {
    const a = parseManifestYaml('name: a\ntype: cluster\nversion: 1.0.0\noptional: [x]\nextra: {z: 1, a: 2}\ndescription:\n').data as ExtensionManifest
    const b = parseManifestYaml('extra: {a: 2, z: 1}\noptional: {x: "*"}\nversion: 1.0.0\ntype: cluster\nname: a\n').data as ExtensionManifest
    expect(JSON.stringify(normalizeManifest(a))).toBe(JSON.stringify(normalizeManifest(b)))
    expect(normalizeManifest(a).extra).toEqual({a: 2, z: 1})
    expect('description' in normalizeManifest(a)).toBe(false)
  })
})
