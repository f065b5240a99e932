import {describe, expect, it} from 'vitest'

import {ConfigError} from '../../../src/lib/errors.js'
import {mirrorsFrom} from '../../../src/lib/oci/settings.js'

function refusal(value: unknown): ConfigError {
  try {
    mirrorsFrom(value)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error(`accepted: ${JSON.stringify(value)}`)
}

describe('oci.mirrors parsing', () => {
  it('absent: no mirrors; entries keep their order, hosts normalised as credential keys are', () => {
    expect(mirrorsFrom(undefined)).toEqual([])
    expect(
      mirrorsFrom([
        {registry: 'Harbor.Example.com', mirrors: ['mirror.local:5000', '10.0.0.7', '[fd00::1]:5000']},
        {registry: 'docker.io', mirrors: ['mirror.gcr.io']},
      ]),
    ).toEqual([
      {registry: 'harbor.example.com', mirrors: ['mirror.local:5000', '10.0.0.7', '[fd00::1]:5000']},
      {registry: 'registry-1.docker.io', mirrors: ['mirror.gcr.io']},
    ])
  })

  it.each<[string, unknown, string]>([
    ['not a list', {registry: 'a.example', mirrors: ['m.example']}, 'oci.mirrors'],
    ['a non-table entry', ['a.example'], 'oci.mirrors[0]'],
    ['a list entry', [['a.example']], 'oci.mirrors[0]'],
    ['a missing registry', [{mirrors: ['m.example']}], 'oci.mirrors[0].registry'],
    ['a registry with a scheme', [{registry: 'https://a.example', mirrors: ['m.example']}], 'oci.mirrors[0].registry'],
    ['a registry with a path', [{registry: 'a.example/ns', mirrors: ['m.example']}], 'oci.mirrors[0].registry'],
    ['no mirrors', [{registry: 'a.example', mirrors: []}], 'oci.mirrors[0].mirrors'],
    ['mirrors not a list', [{registry: 'a.example', mirrors: 'm.example'}], 'oci.mirrors[0].mirrors'],
    ['a mirror that is not a string', [{registry: 'a.example', mirrors: [5000]}], 'oci.mirrors[0].mirrors[0]'],
    ['credentials in a mirror host', [{registry: 'a.example', mirrors: ['m.example', 'user:hunter2@m2.example']}], 'oci.mirrors[0].mirrors[1]'],
    ['a mirror equal to the registry', [{registry: 'a.example:5000', mirrors: ['A.EXAMPLE:5000']}], 'oci.mirrors[0].mirrors[0]'],
    ['a mirror listed twice', [{registry: 'a.example', mirrors: ['m.example', 'm.example']}], 'oci.mirrors[0].mirrors[1]'],
    [
      'a registry listed twice',
      [
        {registry: 'a.example', mirrors: ['m.example']},
        {registry: 'a.example', mirrors: ['n.example']},
      ],
      'oci.mirrors[1].registry',
    ],
    ['an unknown key', [{registry: 'a.example', mirrors: ['m.example'], insecure: true}], 'oci.mirrors[0].insecure'],
    ['too many mirrors', [{registry: 'a.example', mirrors: Array.from({length: 9}, (_, i) => `m${i}.example`)}], 'oci.mirrors[0].mirrors'],
    ['too many registries', Array.from({length: 33}, (_, i) => ({registry: `r${i}.example`, mirrors: ['m.example']})), 'oci.mirrors'],
  ])('%s: exit 3 naming %s', (_what, value, key) => {
    const error = refusal(value)
    expect(error.exit).toBe(3)
    expect(error.details.key).toBe(key)
    expect(error.message.startsWith(`${key} `)).toBe(true)
    expect(error.message).not.toContain('hunter2')
  })
})
