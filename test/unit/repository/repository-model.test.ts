import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {declaredRepositories} from '../../../src/lib/deps/repositories.js'
import {repositoriesFrom} from '../../../src/lib/repository/repository.js'
import {makeSandbox, type Sandbox} from '../config/helpers.js'

let sb: Sandbox
beforeEach(async () => {
  sb = await makeSandbox()
})
afterEach(async () => {
  await sb.cleanup()
})

const workspaceYaml = (body: string) => sb.write('ws/config/provisioning.yaml', `workspace:\n  name: demo\n${body}`)
const userToml = (body: string) => sb.write('home/config.user.toml', body)
const byName = (set: {all: Array<{name: string}>}) => Object.fromEntries(set.all.map((r) => [r.name, r]))

describe('repository declarations: visibility follows the layer that set the URL', () => {
  it('workspace and environment files are public; config.user.toml and --set are private', async () => {
    await workspaceYaml('repositories:\n  team:\n    url: oci://reg.example.com/team\n')
    await sb.write('ws/config/dev-defaults.toml', '[repositories.staging]\nurl = "oci://staging.example.com/ext"\n')
    await userToml('[repositories.mine]\nurl = "oci://localhost:5000/me"\nmode = "rw"\n')
    const set = repositoriesFrom(await sb.load({envName: 'dev', sets: ['repositories.adhoc.url=oci://adhoc.example.com/x']}))
    expect(set.problems).toEqual([])
    const all = byName(set)
    expect(all.team).toMatchObject({
      visibility: 'public',
      layer: 'workspace',
      mode: 'ro',
      priority: 100,
      namespace: 'team',
      location: {kind: 'remote', host: 'reg.example.com'},
    })
    expect(all.staging).toMatchObject({visibility: 'public', layer: 'environment'})
    expect(all.mine).toMatchObject({visibility: 'private', layer: 'user', mode: 'rw'})
    expect(all.adhoc).toMatchObject({visibility: 'private', layer: 'runtime', declaredIn: '--set repositories.adhoc.url'})
  })

  it('a later layer overriding the URL moves the repository to that layer (a --set re-points a public one for this run)', async () => {
    await workspaceYaml('repositories:\n  team:\n    url: oci://reg.example.com/team\n    labels: {env: prod}\n')
    const {team} = byName(repositoriesFrom(await sb.load({sets: ['repositories.team.url=oci://mirror.example.com/team']})))
    expect(team).toMatchObject({visibility: 'private', layer: 'runtime', url: 'oci://mirror.example.com/team', labels: {env: 'prod'}})
  })

  it('a declared visibility that disagrees with its file is a problem naming the key, and only that repository is left out', async () => {
    await workspaceYaml('repositories:\n  shared:\n    url: oci://a.example.com/x\n    visibility: private\n  fine:\n    url: oci://b.example.com/y\n')
    await userToml('[repositories.mine]\nurl = "oci://c.example.com/z"\nvisibility = "public"\n')
    const set = repositoriesFrom(await sb.load())
    expect(set.all.map((r) => r.name)).toEqual(['fine'])
    expect(set.problems).toEqual([
      "repositories.mine: declared public in the user layer: public repositories belong in the workspace's config/provisioning.yaml",
      'repositories.shared: declared private in the workspace layer: private repositories belong in config.user.toml',
    ])
  })
})

describe('repository declarations: hostile and broken input', () => {
  it.each([
    ['a name with a dot', '"a.b"', 'no dots'],
    ['the implicit name', 'default', 'names the workspace'],
    ['an upper-case name', 'Team', 'lower-case'],
    ['a name starting with a dash', '"-x"', 'lower-case'],
    ['a 64-character name', 'a'.repeat(64), 'at most 63'],
  ])('refuses %s', async (_what, name, why) => {
    await userToml(`[repositories.${name}]\nurl = "oci://reg.example.com/x"\n[repositories.ok]\nurl = "oci://reg.example.com/y"\n`)
    const set = repositoriesFrom(await sb.load())
    expect(set.all.map((r) => r.name)).toEqual(['ok'])
    expect(set.problems).toHaveLength(1)
    expect(set.problems[0]).toContain(why)
  })

  it.each([
    ['a label key with a space', '"bad key" = "x"', 'label key "bad key"'],
    ['a label value of 64 characters', `env = "${'v'.repeat(64)}"`, 'label env must be'],
    ['a label value that is not a string', 'env = 3', 'label env must be'],
    ['a label value with a space', 'env = "a b"', 'label env must be'],
    ['a non-ASCII label value', 'env = "prod\u202e"', 'label env must be'],
  ])('refuses %s', async (_what, line, why) => {
    await userToml(`[repositories.r]\nurl = "oci://reg.example.com/x"\n[repositories.r.labels]\n${line}\n`)
    const set = repositoriesFrom(await sb.load())
    expect(set.all).toEqual([])
    expect(set.problems[0]).toContain(`repositories.r: ${why}`)
  })

  it('refuses more than 64 labels, an unknown field (credentials are never declared), a bad mode and a bad priority', async () => {
    const labels = Array.from({length: 65}, (_, i) => `k${i} = "v"`).join('\n')
    await userToml(
      [
        `[repositories.many]\nurl = "oci://r.example.com/x"\n[repositories.many.labels]\n${labels}`,
        '[repositories.secret]\nurl = "oci://r.example.com/x"\npassword = "hunter2"',
        '[repositories.moded]\nurl = "oci://r.example.com/x"\nmode = "readwrite"',
        '[repositories.first]\nurl = "oci://r.example.com/x"\npriority = -1',
        '[repositories.huge]\nurl = "oci://r.example.com/x"\npriority = 1.5',
      ].join('\n'),
    )
    const set = repositoriesFrom(await sb.load())
    expect(set.all).toEqual([])
    expect(set.problems).toEqual([
      'repositories.many: at most 64 labels',
      expect.stringContaining('repositories.secret: unknown field "password"'),
      'repositories.moded: mode must be ro or rw',
      expect.stringContaining('repositories.first: priority must be an integer'),
      expect.stringContaining('repositories.huge: priority must be an integer'),
    ])
    expect(set.problems.join('\n')).not.toContain('hunter2')
  })

  it('names the key of a malformed URL (plain http, credentials, an upper-case namespace)', async () => {
    await userToml(
      [
        '[repositories.web]\nurl = "https://reg.example.com/x"',
        '[repositories.creds]\nurl = "oci://user:pw@reg.example.com/x"',
        '[repositories.upper]\nurl = "oci://reg.example.com/Team"',
        '[repositories.basic]\nurl = "https://alice:s3cret@reg.example.com/x"',
      ].join('\n'),
    )
    const set = repositoriesFrom(await sb.load())
    expect(set.all).toEqual([])
    expect(set.problems).toEqual([
      expect.stringMatching(/^repositories\.web: invalid repository URL .*oci:\/\//),
      expect.stringMatching(/^repositories\.creds: invalid registry: credentials do not belong/),
      expect.stringMatching(/^repositories\.upper: .*namespace "Team"/),
      expect.stringMatching(/^repositories\.basic: invalid repository URL "https:\/\/\*\*\*@reg\.example\.com\/x"/),
    ])
    expect(set.problems.join('\n')).not.toContain(':pw@')
    expect(set.problems.join('\n')).not.toContain('s3cret')
  })

  it('refuses a repository that is not a table', async () => {
    await userToml('[repositories]\nteam = "oci://reg.example.com/x"\n')
    expect(repositoriesFrom(await sb.load()).problems).toEqual(['repositories.team: must be a table with at least url'])
  })
})

describe('repository declarations: layout paths', () => {
  it('are relative to the file that declares them', async () => {
    await workspaceYaml('repositories:\n  shared:\n    url: oci-layout://../store\n')
    await userToml('[repositories.mine]\nurl = "oci-layout://layouts/mine"\n')
    const all = byName(repositoriesFrom(await sb.load()))
    expect(all.shared).toMatchObject({location: {kind: 'layout', root: path.join(sb.ws, 'store')}, namespace: ''})
    expect(all.mine).toMatchObject({location: {kind: 'layout', root: path.join(sb.home, 'layouts', 'mine')}})
  })

  it('a --set path is relative to the working folder', async () => {
    const all = byName(repositoriesFrom(await sb.load({sets: ['repositories.here.url=oci-layout://store']})))
    expect(all.here).toMatchObject({location: {kind: 'layout', root: path.join(sb.outside, 'store')}})
  })
})

describe('the implicit repository and the selector', () => {
  it('is the workspace extension source, rw, first by priority; a selector never hides it', async () => {
    await workspaceYaml(
      [
        'dependencies:\n  extensions:\n    source_type: oci\n    oci: {registry: "reg.example.com:5000", namespace: exts}',
        'repositories:\n  prod:\n    url: oci://prod.example.com/x\n    priority: 10\n    labels: {env: prod}',
        '  dev:\n    url: oci://dev.example.com/x\n    priority: 10\n    labels: {env: dev}',
      ].join('\n'),
    )
    await userToml('repository_selector = "env=prod"\n')
    const set = declaredRepositories(await sb.load())
    expect(set.problems).toEqual([])
    expect(set.all.map((r) => r.name)).toEqual(['default', 'dev', 'prod'])
    expect(set.all[0]).toMatchObject({
      implicit: true,
      mode: 'rw',
      priority: 0,
      url: 'oci://reg.example.com:5000/exts',
      declaredIn: 'dependencies.extensions.oci',
    })
    expect(set.visible.map((r) => r.name)).toEqual(['default', 'prod'])
  })

  it('a selector set by the workspace is ignored (a problem): each user chooses what they see', async () => {
    await workspaceYaml('repository_selector: env=prod\nrepositories:\n  dev:\n    url: oci://dev.example.com/x\n    labels: {env: dev}\n')
    const set = repositoriesFrom(await sb.load())
    expect(set.visible.map((r) => r.name)).toEqual(['dev'])
    expect(set.problems).toEqual([expect.stringContaining('repository_selector is set in the workspace layer and ignored')])
  })

  it("a workspace selector neither replaces nor clears the user's own", async () => {
    await workspaceYaml(
      'repository_selector: ""\nrepositories:\n  dev:\n    url: oci://dev.example.com/x\n    labels: {env: dev}\n  prod:\n    url: oci://prod.example.com/x\n    labels: {env: prod}\n',
    )
    await userToml('repository_selector = "env=prod"\n')
    expect(repositoriesFrom(await sb.load()).visible.map((r) => r.name)).toEqual(['prod'])
    await workspaceYaml(
      'repository_selector: env=dev\nrepositories:\n  dev:\n    url: oci://dev.example.com/x\n    labels: {env: dev}\n  prod:\n    url: oci://prod.example.com/x\n    labels: {env: prod}\n',
    )
    const set = repositoriesFrom(await sb.load())
    expect(set.visible.map((r) => r.name)).toEqual(['prod'])
    expect(set.problems).toEqual([expect.stringContaining('repository_selector is set in the workspace layer and ignored')])
  })

  it('an unreadable selector is a problem, and hides nothing', async () => {
    await userToml('repository_selector = "env in (prod"\n[repositories.dev]\nurl = "oci://dev.example.com/x"\n')
    const set = repositoriesFrom(await sb.load())
    expect(set.visible.map((r) => r.name)).toEqual(['dev'])
    expect(set.problems).toEqual([expect.stringContaining('unbalanced parentheses')])
  })
})
