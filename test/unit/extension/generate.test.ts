import {mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {generateExtension, schemaNameOf} from '../../../src/lib/extension/generate.js'
import {packageExtension} from '../../../src/lib/extension/package.js'
import {validateExtension} from '../../../src/lib/extension/validate.js'
import {expectProvisioningError, makeTempDir, snapshotTree} from './helpers.js'

let root: string
let cleanup: () => Promise<void>

beforeEach(async () => {
  ;({root, cleanup} = await makeTempDir())
})
afterEach(async () => cleanup())

describe('generateExtension', () => {
  it.each(['provider', 'taskserv', 'cluster'])('scaffolds a %s that validates without a single problem', async (type) => {
    const created = await generateExtension(type, 'my-ext.v2', {cwd: root})
    expect(created.path).toBe(path.join(root, 'my-ext.v2'))
    expect(created.files).toEqual([
      'docs/README.md',
      'kcl/kcl.mod',
      'kcl/my-ext.v2.k',
      'manifest.yaml',
      'scripts/install.sh',
      'templates/my-ext.v2.conf.j2',
      'tests/smoke-test.sh',
    ])
    const report = await validateExtension(created.path)
    expect(report.problems).toEqual([])
    expect(report.manifest).toMatchObject({name: 'my-ext.v2', type, version: '0.1.0'})

    for (const file of created.files) expect(await readFile(path.join(created.path, file), 'utf8')).not.toMatch(/__[A-Z]+__/)
    expect(await readFile(path.join(created.path, 'kcl', 'my-ext.v2.k'), 'utf8')).toContain('schema MyExtV2:')
    expect((await stat(path.join(created.path, 'scripts', 'install.sh'))).mode & 0o777).toBe(0o755)
    expect((await stat(path.join(created.path, 'tests', 'smoke-test.sh'))).mode & 0o777).toBe(0o755)
    expect(await readdir(root)).toEqual(['my-ext.v2']) // no staging folder left

    const packaged = await packageExtension(created.path, {env: {}})
    expect(packaged.fileName).toBe('my-ext.v2-0.1.0.tar.gz')
  })

  it('writes to --path (relative to cwd) and accepts an existing empty folder', async () => {
    await mkdir(path.join(root, 'work', 'empty'), {recursive: true})
    const created = await generateExtension('taskserv', 'redis', {cwd: path.join(root, 'work'), path: 'empty'})
    expect(created.path).toBe(path.join(root, 'work', 'empty'))
    expect((await validateExtension(created.path)).valid).toBe(true)
    const nested = await generateExtension('cluster', 'k8s', {cwd: root, path: path.join(root, 'a', 'b', 'k8s')})
    expect((await validateExtension(nested.path)).valid).toBe(true)
  })

  it('refuses a non-empty target and touches nothing', async () => {
    const target = path.join(root, 'redis')
    await mkdir(target)
    await writeFile(path.join(target, 'notes.txt'), 'mine')
    const before = await snapshotTree(root)
    const error = await expectProvisioningError(() => generateExtension('taskserv', 'redis', {cwd: root}))
    expect(error.exit).toBe(10)
    expect(error.message).toContain('not empty')
    expect(await snapshotTree(root)).toEqual(before)

    await writeFile(path.join(root, 'afile'), 'x')
    expect((await expectProvisioningError(() => generateExtension('taskserv', 'x', {cwd: root, path: 'afile'}))).exit).toBe(10)
  })

  it('refuses invalid names and types before creating anything', async () => {
    for (const [type, name] of [
      ['taskserv', 'Redis'],
      ['taskserv', '../escape'],
      ['taskserv', ''],
      ['service', 'redis'],
      ['taskservs', 'redis'],
    ]) {
      const error = await expectProvisioningError(() => generateExtension(type, name, {cwd: root}))
      expect(error.exit).toBe(10)
    }
    expect((await expectProvisioningError(() => generateExtension('taskservs', 'redis', {cwd: root}))).hint).toBe('use the singular: taskserv')
    expect(await readdir(root)).toEqual([])
  })

  it('derives KCL schema names from extension names', () => {
    expect(schemaNameOf('redis')).toBe('Redis')
    expect(schemaNameOf('k8s-basic')).toBe('K8sBasic')
    expect(schemaNameOf('a.b_c-d')).toBe('ABCD')
    expect(schemaNameOf('0ad')).toBe('Ext0ad')
  })
})
