import {readdir, readFile} from 'node:fs/promises'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {leaves} from '../../../src/lib/config/merge.js'
import {checkSchema, KNOWN_KEYS, OPEN_TABLES} from '../../../src/lib/config/schema.js'
import {parseConfigText} from '../../../src/lib/config/source-file.js'
import {templatePath} from '../../../src/lib/util/package-root.js'
import {expectProvisioningError, makeSandbox, type Sandbox} from './helpers.js'

const nowhere = () => ({})
const check = (values: Record<string, unknown>) => checkSchema(values, nowhere)
const errors = (values: Record<string, unknown>) => check(values).filter((p) => p.severity === 'error')

describe('checkSchema', () => {
  it('accepts values of the declared kinds', () => {
    expect(
      check({
        environment: 'dev',
        oci: {registry: 'r', concurrency: 2, tls_enabled: true, tool: 'oras', cache: {index_ttl_seconds: 0}},
        locking: {provider: 'etcd', etcd: {endpoints: ['http://a:2379']}},
        output: {color: 'never'},
      }),
    ).toEqual([])
    expect(check({locking: {etcd: {endpoints: []}}})).toEqual([])
  })

  it('rejects wrong kinds, naming the key, the expected kind and the value', () => {
    expect(errors({oci: {concurrency: 'many'}})).toEqual([
      expect.objectContaining({key: 'oci.concurrency', message: 'oci.concurrency must be an integer, got string "many"'}),
    ])
    expect(errors({oci: {concurrency: 2.5}})[0].message).toBe('oci.concurrency must be an integer, got float 2.5')
    expect(errors({oci: {tls_enabled: 'yes'}})[0].message).toContain('must be a boolean')
    expect(errors({oci: {registry: 5000}})[0].message).toContain('must be a string, got integer 5000')
    expect(errors({locking: {etcd: {endpoints: 'http://a:2379'}}})[0].message).toContain('must be a list of strings')
    expect(errors({locking: {etcd: {endpoints: [1, 2]}}})[0].message).toContain('got array')
    expect(errors({environment: new Date('2024-01-01T00:00:00Z')})[0].message).toContain('got datetime')
  })

  it('checks enums and minimums', () => {
    expect(errors({oci: {tool: 'docker'}})[0]).toMatchObject({key: 'oci.tool', hint: 'set oci.tool to one of: auto, native, oras'})
    expect(errors({output: {color: 'sometimes'}})).toHaveLength(1)
    expect(errors({oci: {retries: -1}})[0].message).toBe('oci.retries must be at least 0, got -1')
    expect(errors({oci: {retries: 0}})).toEqual([])
  })

  it('warns about unknown keys, suggesting the closest known one', () => {
    const problems = check({oci: {regsitry: 'x'}, locking: {etcd: {prefixx: '/p'}}, color: 'auto', something_else: 1})
    expect(problems.every((p) => p.severity === 'warning')).toBe(true)
    const hint = (key: string) => problems.find((p) => p.key === key)?.hint
    expect(hint('oci.regsitry')).toBe('did you mean oci.registry?')
    expect(hint('locking.etcd.prefixx')).toBe('did you mean locking.etcd.prefix?')
    expect(hint('color')).toBe('did you mean output.color?')
    expect(hint('something_else')).not.toContain('did you mean')
  })

  it('skips everything under the open tables', () => {
    const open = Object.fromEntries(OPEN_TABLES.map((table) => [table, {anything: {goes: [1, 'two']}}]))
    expect(check(open)).toEqual([])
  })

  it('passes the locate result through to each problem', () => {
    const problems = checkSchema({oci: {concurrency: 'x'}, oops: 1}, (key) => ({file: `/file/of/${key}`}))
    expect(problems.map((p) => [p.key, p.file])).toEqual([
      ['oci.concurrency', '/file/of/oci.concurrency'],
      ['oops', '/file/of/oops'],
    ])
  })

  it('rejects a table where the schema expects a value', () => {
    expect(errors({oci: {registry: {host: 'r', port: 5000}}})).toEqual([
      expect.objectContaining({key: 'oci.registry', message: expect.stringMatching(/^oci\.registry must be a string, got (a )?table/)}),
    ])
    // No extra "unknown key oci.registry.host" noise for the same mistake.
    expect(check({oci: {registry: {host: 'r'}}})).toHaveLength(1)
    expect(errors({oci: {concurrency: {}}})).toHaveLength(1)
  })

  it('rejects a value where the schema expects a table', () => {
    expect(errors({oci: 'localhost:5000'})).toEqual([expect.objectContaining({key: 'oci', message: expect.stringContaining('oci must be a table')})])
    expect(errors({oci: {cache: '/tmp/cache'}})).toEqual([expect.objectContaining({key: 'oci.cache'})])
    expect(errors({vars: 5})).toEqual([expect.objectContaining({key: 'vars'})])
  })
})

describe('shipped templates', () => {
  it('declare only known keys, all of the right kind', async () => {
    const defaults = await parseConfigText(await readFile(templatePath('config.defaults.toml'), 'utf8'), 'config.defaults.toml')
    expect(check(defaults.data)).toEqual([])
    for (const file of await readdir(templatePath('modes'))) {
      const mode = await parseConfigText(await readFile(templatePath('modes', file), 'utf8'), file)
      expect(check(mode.data), file).toEqual([])
    }
  })

  it('give every known key a default (paths and credentials aside)', async () => {
    const defaults = await parseConfigText(await readFile(templatePath('config.defaults.toml'), 'utf8'), 'config.defaults.toml')
    const present = new Set([...leaves(defaults.data)].map(([key]) => key))
    const optional = (key: string) => key.startsWith('workspace.') || key.startsWith('security.')
    expect(Object.keys(KNOWN_KEYS).filter((key) => !present.has(key) && !optional(key))).toEqual([])
  })
})

describe('schema through loadConfig', () => {
  let sb: Sandbox
  beforeEach(async () => {
    sb = await makeSandbox()
  })
  afterEach(async () => {
    await sb.cleanup()
  })

  it('reports a table in place of a value with the file and line of that table', async () => {
    const user = await sb.write('home/config.user.toml', '# registry\n[oci.registry]\nhost = "r.example"\nport = 5000\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error.exit).toBe(3)
    expect(error.message).toContain(`${user}:2`)
    expect(error.message).toContain('oci.registry must be a string')
  })

  it('checks the values after interpolation', async () => {
    await sb.write('home/config.user.toml', '[vars]\nn = 8\nword = "many"\n[oci]\nconcurrency = "{{vars.n}}"\nretries = "{{vars.word}}"\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error.exit).toBe(3)
    expect(error.message).toContain('oci.retries must be an integer')
    expect(error.message).not.toContain('oci.concurrency')
  })
})
