import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createHmac} from 'node:crypto'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {describeSite, displayFile, owningKey, parentKeyPath} from '../../../src/lib/config/locate.js'
import {makeSandbox, type Sandbox} from './helpers.js'

const AT = 'dependencies.extensions.modules'
const WORKSPACE_YAML = [
  'workspace:', //                          1
  '  name: demo', //                        2
  'dependencies:', //                       3
  '  extensions:', //                       4
  '    source_type: local', //              5
  '    local: {path: ./src}', //            6
  '    modules:', //                        7
  '      providers: [aws, local]', //       8
  '      taskservs:', //                    9
  '        - kubernetes:1.28.0', //        10
  '        # cilium takes a range', //     11
  '        - {name: cilium, version: "^1.14"}', // 12
  '        - name: redis', //              13
  '          version: "7.x"', //           14
  '',
].join('\n')

let sb: Sandbox
beforeEach(async () => {
  sb = await makeSandbox({workspaceYaml: WORKSPACE_YAML})
})
afterEach(async () => {
  await sb.cleanup()
})

describe('LoadedConfig.locate', () => {
  it('names the workspace file relative to the workspace, at the line of each list item', async () => {
    const loaded = await sb.load()
    expect(await loaded.locate(`${AT}.taskservs[0]`)).toBe('config/provisioning.yaml:10')
    expect(await loaded.locate(`${AT}.taskservs[1]`)).toBe('config/provisioning.yaml:12')
    expect(await loaded.locate(`${AT}.taskservs[2]`)).toBe('config/provisioning.yaml:13')
    // Keys inside an item have no line of their own: the item's.
    expect(await loaded.locate(`${AT}.taskservs[2].version`)).toBe('config/provisioning.yaml:13')
    expect(await loaded.locate(`${AT}.providers[1]`)).toBe('config/provisioning.yaml:8')
    expect(await loaded.locate(`${AT}.taskservs`)).toBe('config/provisioning.yaml:9')
    expect(await loaded.locate('workspace.name')).toBe('config/provisioning.yaml:2')
    // A table is no value of its own; a key nobody set has no site.
    expect(await loaded.locate('dependencies.nothing')).toBeUndefined()
    // The same with every line filled while loading (`--origin`).
    const withLines = await sb.load({lines: true})
    expect(await withLines.locate(`${AT}.taskservs[1]`)).toBe('config/provisioning.yaml:12')
  })

  it('names the layer whose list won: an environment TOML file, the user config under ~, --set, a variable', async () => {
    await sb.write('ws/config/dev-defaults.toml', `# dev\n[${AT}]\ntaskservs = [\n  "etcd",\n  {name = "cilium", version = "1.15.0"},\n]\n`)
    const env = {...sb.env, HOME: sb.root}
    await sb.write('home/config.user.toml', `\n[[${AT}.clusters]]\nname = "buildkit"\n`)
    const loaded = await sb.load({envName: 'dev', env})
    expect(await loaded.locate(`${AT}.taskservs[1]`)).toBe('config/dev-defaults.toml:5')
    // Not replaced by the environment: still the workspace file's.
    expect(await loaded.locate(`${AT}.providers[0]`)).toBe('config/provisioning.yaml:8')
    expect(await loaded.locate(`${AT}.clusters[0]`)).toBe(`~${path.sep}${path.join('home', 'config.user.toml')}:2`)

    const set = await sb.load({sets: [`${AT}.taskservs=["etcd"]`], env})
    expect(await set.locate(`${AT}.taskservs[0]`)).toBe(`--set ${AT}.taskservs`)
    const variable = await sb.load({env: {...env, PROVISIONING_DEPENDENCIES__EXTENSIONS__MODULES__TASKSERVS: '["etcd"]'}})
    expect(await variable.locate(`${AT}.taskservs[0]`)).toBe('PROVISIONING_DEPENDENCIES__EXTENSIONS__MODULES__TASKSERVS')
  })

  it('falls back to the line of the list when a cached parse has no item lines (written before they were recorded)', async () => {
    await sb.load()
    const dir = path.join(sb.home, 'cache', 'parsed')
    const name = readdirSync(dir).find((n) => n.endsWith('.json') && readFileSync(path.join(dir, n), 'utf8').includes('cilium'))
    expect(name).toBeDefined()
    const file = path.join(dir, name!)
    const entry = JSON.parse(readFileSync(file, 'utf8').split('\n').slice(1).join('\n')) as {lines: Record<string, number>}
    expect(entry.lines[`${AT}.taskservs[1]`]).toBe(12)
    entry.lines = Object.fromEntries(Object.entries(entry.lines).filter(([key]) => !key.includes('[')))
    const payload = JSON.stringify(entry)
    writeFileSync(
      file,
      `${createHmac('sha256', readFileSync(path.join(sb.home, 'cache.key')))
        .update(payload)
        .digest('hex')}\n${payload}`,
    )
    const loaded = await sb.load()
    expect(await loaded.locate(`${AT}.taskservs[1]`)).toBe('config/provisioning.yaml:9')
    expect(await loaded.locate('workspace.name')).toBe('config/provisioning.yaml:2')
  })
})

describe('site helpers', () => {
  it('owningKey: the key itself, or the list an item lies in', () => {
    const origins = new Map([
      ['a.list', []],
      ['a.b', []],
    ])
    expect(owningKey(origins, 'a.list[1]')).toBe('a.list')
    expect(owningKey(origins, 'a.list[1][0].c')).toBe('a.list')
    expect(owningKey(origins, 'a.b')).toBe('a.b')
    expect(owningKey(origins, 'a')).toBeUndefined()
    expect(owningKey(origins, 'x[0]')).toBeUndefined()
    expect(['a.list[1][0].c', 'a.list[1][0]', 'a.list[1]', 'a.list', 'a'].map((k) => parentKeyPath(k))).toEqual([
      'a.list[1][0]',
      'a.list[1]',
      'a.list',
      'a',
      '',
    ])
  })

  it('displayFile: relative inside the workspace, ~ inside the home folder, else absolute', () => {
    expect(displayFile('/w/ws/config/provisioning.yaml', {workspace: '/w/ws', home: '/w'})).toBe(path.join('config', 'provisioning.yaml'))
    expect(displayFile('/w/home/config.user.toml', {workspace: '/w/ws', home: '/w'})).toBe(`~${path.sep}${path.join('home', 'config.user.toml')}`)
    expect(displayFile('/elsewhere/x.toml', {workspace: '/w/ws', home: '/w'})).toBe('/elsewhere/x.toml')
    expect(displayFile('/w/ws-other/x.toml', {workspace: '/w/ws', home: '/home/u'})).toBe('/w/ws-other/x.toml')
    expect(describeSite({file: '/w/ws/a.yaml', line: 3}, {workspace: '/w/ws'})).toBe('a.yaml:3')
    expect(describeSite({file: '/w/ws/a.yaml'}, {workspace: '/w/ws'})).toBe('a.yaml')
    expect(describeSite({source: '--set a.b'})).toBe('--set a.b')
  })
})
