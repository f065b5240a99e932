import {describe, expect, it} from 'vitest'
import YAML from 'yaml'

import type {RepositoryDeclaration} from '../../../src/lib/repository/declaration.js'
import {editYamlRepository} from '../../../src/lib/repository/yaml-edit.js'
import {expectProvisioningError} from '../config/helpers.js'

const FILE = '/ws/config/provisioning.yaml'
const set = (declaration: RepositoryDeclaration) => () => declaration
const remove = () => undefined
const edit = async (text: string, name: string, change: (before?: Record<string, unknown>) => RepositoryDeclaration | undefined) =>
  (await editYamlRepository(text, FILE, name, change)).text

const WORKSPACE = `# Reviewed like code.
workspace:
    name: demo    # four-space indentation, wide comment gap
repositories:
    # Team A: production extensions.
    team-a:
        url: oci://a.example.com/team   # since May
        mode: ro
    # Team B: scratch.
    team-b:
        url: oci://b.example.com/scratch
        mode: rw
        labels: {env: dev}
dependencies: {extensions: {source_type: oci}}
`

describe('editYamlRepository: spliced into the text', () => {
  it('adds an entry after the last one, at the entries indentation; every other byte stays', async () => {
    const edited = await edit(WORKSPACE, 'team-c', set({url: 'oci://c.example.com/x', mode: 'ro', labels: {env: 'prod'}}))
    expect(edited).toBe(
      WORKSPACE.replace(
        '        labels: {env: dev}\n',
        '        labels: {env: dev}\n    team-c:\n      url: oci://c.example.com/x\n      mode: ro\n      labels:\n        env: prod\n',
      ),
    )
    expect(YAML.parse(edited).repositories['team-c']).toEqual({url: 'oci://c.example.com/x', mode: 'ro', labels: {env: 'prod'}})
  })

  it('updates one entry field by field: the comment above it and on its URL line stay, other entries are untouched', async () => {
    const edited = await edit(WORKSPACE, 'team-a', () => ({url: 'oci://a.example.com/team', mode: 'rw', priority: 5, labels: {}}))
    expect(edited.startsWith(WORKSPACE.slice(0, WORKSPACE.indexOf('    team-a:')))).toBe(true)
    expect(edited).toContain('    # Team A: production extensions.\n    team-a:\n')
    expect(edited).toContain('# since May')
    expect(edited.slice(edited.indexOf('    # Team B'))).toBe(WORKSPACE.slice(WORKSPACE.indexOf('    # Team B')))
    expect(YAML.parse(edited).repositories['team-a']).toEqual({url: 'oci://a.example.com/team', mode: 'rw', priority: 5})
  })

  it('removes a later entry with the comment above it, and the last one with the repositories key', async () => {
    const once = await edit(WORKSPACE, 'team-b', remove)
    expect(once).toBe(
      WORKSPACE.replace('    # Team B: scratch.\n    team-b:\n        url: oci://b.example.com/scratch\n        mode: rw\n        labels: {env: dev}\n', ''),
    )
    const twice = await edit(once, 'team-a', remove)
    expect(twice).toBe(
      '# Reviewed like code.\nworkspace:\n    name: demo    # four-space indentation, wide comment gap\ndependencies: {extensions: {source_type: oci}}\n',
    )
  })

  it('starts the repositories map at the end of a file that has none (or has it empty)', async () => {
    const declaration = set({url: 'oci://a.example.com/x', mode: 'ro', labels: {}})
    expect(await edit('workspace: {name: demo}', 'a', declaration)).toBe(
      'workspace: {name: demo}\nrepositories:\n  a:\n    url: oci://a.example.com/x\n    mode: ro\n',
    )
    expect(await edit('repositories:\nworkspace: {name: demo}\n', 'a', declaration)).toBe(
      'repositories:\n  a:\n    url: oci://a.example.com/x\n    mode: ro\nworkspace: {name: demo}\n',
    )
    expect(await edit('', 'a', declaration)).toBe('repositories:\n  a:\n    url: oci://a.example.com/x\n    mode: ro\n')
  })
})

describe('editYamlRepository: other layouts go through the whole document, and still read back', () => {
  it.each([
    ['a flow map of repositories', 'workspace: {name: demo}\nrepositories: {a: {url: "oci://a.example.com/x"}}\n'],
    ['CRLF line endings', 'workspace:\r\n  name: demo\r\nrepositories:\r\n  a:\r\n    url: oci://a.example.com/x\r\n'],
    ['an anchor shared by two entries', 'base: &base {url: "oci://a.example.com/x"}\nrepositories:\n  a: *base\n'],
  ])('%s', async (_what, text) => {
    const edited = await edit(text, 'b', set({url: 'oci://b.example.com/y', mode: 'rw', labels: {team: 'core'}}))
    expect(YAML.parse(edited)).toEqual({
      ...YAML.parse(text),
      repositories: {...YAML.parse(text).repositories, b: {url: 'oci://b.example.com/y', mode: 'rw', labels: {team: 'core'}}},
    })
  })
})

describe('editYamlRepository: refusals (exit 3, nothing returned)', () => {
  it.each([
    ['broken YAML', 'workspace: [demo\n'],
    ['a document that is a list', '- a\n- b\n'],
    ['repositories that is a list', 'repositories:\n  - oci://a.example.com/x\n'],
  ])('%s', async (_what, text) => {
    const error = await expectProvisioningError(() => edit(text, 'a', set({url: 'oci://a.example.com/x', mode: 'ro', labels: {}})))
    expect(error.exit).toBe(3)
    expect(error.message).toContain(FILE)
  })
})
