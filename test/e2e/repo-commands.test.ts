import {mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {type CliResult, json, runCli} from '../helpers/cli.js'
import {bareWorkspace, writeExtension} from '../helpers/deps.js'
import {generateKeys} from '../helpers/signing-keys.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

interface Check {
  check: string
  status: 'ok' | 'failed' | 'skipped'
  message: string
  fix?: string
  exit?: number
}

interface SaveDoc {
  action: string
  name: string
  visibility: string
  mode: string
  file: string
  checks: Check[]
  insecureSkipCheck?: {skipped: string[]}
}

interface ErrorDoc {
  error: {
    code: string
    message: string
    exit: number
    hint?: string
    details: {checks?: Check[]; repositories?: Array<{name: string; valid: boolean; exit: number; checks: Check[]}>}
  }
}

interface ListDoc {
  repositories: Array<{name: string; hidden: boolean; visibility: string; mode: string; labels: Record<string, string>}>
  problems: string[]
}

const WORKSPACE_YAML = `# The demo workspace: reviewed like code.
workspace:
  name: demo   # do not rename
`
const USER_TOML = `# My own settings (kept by the CLI).
[output]
color = "never" # plain
`

/** `GET /v2/...` of a test registry, parsed (for what the registry holds, seen from outside). */
async function registryJson<T>(registry: RegistryHandle, pathname: string): Promise<T> {
  const res = await fetch(`${registry.url}${pathname}`)
  return (await res.json()) as T
}

const catalog = async (registry: RegistryHandle) => (await registryJson<{repositories: string[] | null}>(registry, '/v2/_catalog')).repositories ?? []
const tagsOf = async (registry: RegistryHandle, repository: string) =>
  (await registryJson<{tags: string[] | null}>(registry, `/v2/${repository}/tags/list`)).tags ?? []

describe('repo commands (built CLI, two real registries, a registry with Basic auth and a layout store)', () => {
  let teamA: RegistryHandle
  let teamB: RegistryHandle
  let locked: RegistryHandle
  let box: Sandbox
  let ws: string
  let env: Record<string, string>
  let extensionDir: string
  const workspaceFile = () => path.join(ws, 'config', 'provisioning.yaml')
  const userFile = () => path.join(box.home, 'config.user.toml')
  /** Inside the workspace: public by default. */
  const inWs = (args: string[], extra: Record<string, string> = {}) => runCli(args, {env: {...env, ...extra}, cwd: ws})
  /** Outside any workspace: private by default. */
  const outside = (args: string[], extra: Record<string, string> = {}) => runCli(args, {env: {...env, ...extra}, cwd: box.root})
  const bothFiles = async () => [await readFile(workspaceFile(), 'utf8'), await readFile(userFile(), 'utf8')]
  const ok = (result: CliResult) => expect(result.exitCode, result.stdout + result.stderr).toBe(0)

  beforeAll(async () => {
    ;[teamA, teamB, locked] = await Promise.all([startRegistry(), startRegistry(), startRegistry({auth: 'basic'})])
    box = await sandbox()
    ws = await bareWorkspace(box.root, 'demo')
    await writeFile(workspaceFile(), WORKSPACE_YAML)
    await writeFile(userFile(), USER_TOML)
    // Retries off: an unreachable registry is reported at once.
    env = {...box.env, PROVISIONING_OCI__REGISTRY: teamA.host, PROVISIONING_OCI__RETRIES: '0'}
    extensionDir = path.join(box.root, 'redis')
    await writeExtension(extensionDir, {name: 'redis', version: '0.1.0'})
    const pushed = await runCli(['oci', 'push', extensionDir, `${teamA.host}/team-a/redis:0.1.0`, '--json'], {env, cwd: box.root})
    ok(pushed)
  })
  afterAll(async () => {
    await Promise.all([teamA, teamB, locked].map((r) => r?.stop()))
    await box?.cleanup()
  })

  it('add (public, inside the workspace): every check passes and the declaration lands in the workspace YAML, comments kept', async () => {
    const result = await inWs(['repo', 'add', 'team-a', `oci://${teamA.host}/team-a`, '--label', 'env=prod', '--description', 'Team A extensions', '--json'])
    ok(result)
    const doc = json<SaveDoc>(result)
    expect(doc).toMatchObject({action: 'added', name: 'team-a', visibility: 'public', mode: 'ro', file: path.join('config', 'provisioning.yaml')})
    expect(doc.checks.map((c) => [c.check, c.status])).toEqual([
      ['url', 'ok'],
      ['reachable', 'ok'],
      ['api', 'ok'],
      ['credentials', 'ok'],
      ['namespace', 'ok'],
    ])
    const text = await readFile(workspaceFile(), 'utf8')
    expect(text.startsWith('# The demo workspace: reviewed like code.\nworkspace:\n  name: demo   # do not rename\n')).toBe(true)
    expect(YAML.parse(text)).toEqual({
      workspace: {name: 'demo'},
      repositories: {'team-a': {url: `oci://${teamA.host}/team-a`, description: 'Team A extensions', mode: 'ro', labels: {env: 'prod'}}},
    })
    // The human form lists the checks.
    const shown = await inWs(['repo', 'show', 'team-a'])
    ok(shown)
    expect(shown.stdout).toContain(`oci://${teamA.host}/team-a`)
    expect(shown.stdout).toContain('env=prod')
  })

  it('add (private, outside a workspace, rw): an empty namespace is fine, the push probe leaves nothing behind, TOML comments kept', async () => {
    const before = await catalog(teamB)
    const result = await outside(['repo', 'add', 'scratch', `oci://${teamB.host}/scratch`, '--mode', 'rw', '--label', 'env=dev', '--priority', '20', '--json'])
    ok(result)
    const doc = json<SaveDoc>(result)
    expect(doc).toMatchObject({visibility: 'private', mode: 'rw', file: path.join('~', 'config.user.toml')})
    const namespace = doc.checks.find((c) => c.check === 'namespace')
    expect(namespace).toMatchObject({status: 'ok', message: expect.stringContaining('is empty')})
    expect(doc.checks.find((c) => c.check === 'push')).toMatchObject({status: 'ok', message: expect.stringContaining('probe upload opened and cancelled')})
    expect(await catalog(teamB)).toEqual(before)
    expect(await readFile(userFile(), 'utf8')).toBe(
      `${USER_TOML}\n[repositories.scratch]\nurl = "oci://${teamB.host}/scratch"\nmode = "rw"\npriority = 20\n\n[repositories.scratch.labels]\nenv = "dev"\n`,
    )
  })

  it('refuses: unreachable (exit 6, the rest skipped), wrong namespace for ro (exit 4), a bad URL (exit 2), an existing name (exit 3); nothing is saved', async () => {
    const files = await bothFiles()
    const unreachable = await inWs(['repo', 'add', 'gone', 'oci://127.0.0.1:1/x', '--json'])
    expect(unreachable.exitCode).toBe(6)
    const gone = json<ErrorDoc>(unreachable).error
    expect(gone.message).toContain('gone (oci://127.0.0.1:1/x) was not saved')
    expect(gone.hint).toContain('--insecure-skip-check')
    expect(gone.details.checks?.map((c) => [c.check, c.status, c.exit])).toEqual([
      ['url', 'ok', undefined],
      ['reachable', 'failed', 6],
      ['api', 'skipped', undefined],
      ['credentials', 'skipped', undefined],
      ['namespace', 'skipped', undefined],
    ])
    expect(gone.details.checks?.[2].message).toBe('skipped: registry unreachable')

    const wrong = await inWs(['repo', 'add', 'wrong', `oci://${teamA.host}/no-such-team`])
    expect(wrong.exitCode).toBe(4)
    expect(wrong.stderr).toContain('wrong namespace')
    expect(wrong.stderr).toContain('Hint:')

    const badUrl = await inWs(['repo', 'add', 'web', `https://${teamA.host}/team-a`])
    expect(badUrl.exitCode).toBe(2)
    const badName = await inWs(['repo', 'add', 'Bad.Name', `oci://${teamA.host}/team-a`])
    expect(badName.exitCode).toBe(2)
    const badLabel = await inWs(['repo', 'add', 'labelled', `oci://${teamA.host}/team-a`, '--label', 'env'])
    expect(badLabel.exitCode).toBe(2)

    const again = await inWs(['repo', 'add', 'team-a', `oci://${teamB.host}/other`, '--json'])
    expect(again.exitCode).toBe(3)
    expect(json<ErrorDoc>(again).error.hint).toContain('repo update team-a')
    const implicit = await inWs(['repo', 'add', 'default', `oci://${teamB.host}/other`])
    expect(implicit.exitCode).toBe(3)
    expect(await bothFiles()).toEqual(files)
  })

  it('refuses bad or missing credentials with exit 7 and the oci login fix; the stored password never shows', async () => {
    const files = await bothFiles()
    const none = await outside(['repo', 'add', 'locked', `oci://${locked.host}/team`, '--json'])
    expect(none.exitCode).toBe(7)
    const noneDoc = json<ErrorDoc>(none).error
    expect(noneDoc.details.checks?.find((c) => c.check === 'credentials')).toMatchObject({
      status: 'failed',
      exit: 7,
      fix: expect.stringContaining(`provisioning oci login ${locked.host}`),
    })
    expect(noneDoc.details.checks?.find((c) => c.check === 'namespace')).toMatchObject({status: 'skipped', message: 'skipped: credentials refused'})

    const wrongHome = path.join(box.root, 'wrong-password-home')
    await mkdir(wrongHome, {recursive: true})
    await writeFile(
      path.join(wrongHome, 'auth.json'),
      JSON.stringify({auths: {[locked.host]: {auth: Buffer.from('user:not-the-password').toString('base64')}}}),
    )
    const wrong = await outside(['repo', 'add', 'locked', `oci://${locked.host}/team`], {PROVISIONING_HOME: wrongHome})
    expect(wrong.exitCode).toBe(7)
    expect(wrong.stderr).toContain(`provisioning oci login ${locked.host}`)
    expect(wrong.stdout + wrong.stderr).not.toContain('not-the-password')
    expect(await bothFiles()).toEqual(files)
  })

  it('--insecure-skip-check saves an unreachable repository, says which checks were skipped, and the audit log records it', async () => {
    const result = await inWs(['repo', 'add', 'later', 'oci://127.0.0.1:1/later', '--insecure-skip-check', '--label', 'env=prod', '--json'])
    ok(result)
    const doc = json<SaveDoc>(result)
    expect(doc.insecureSkipCheck).toEqual({skipped: ['reachable', 'api', 'credentials', 'namespace']})
    expect(doc.checks.filter((c) => c.status === 'skipped').every((c) => c.message === 'skipped: --insecure-skip-check')).toBe(true)
    expect(YAML.parse(await readFile(workspaceFile(), 'utf8')).repositories.later).toEqual({url: 'oci://127.0.0.1:1/later', mode: 'ro', labels: {env: 'prod'}})
    const audit = (await readFile(path.join(box.home, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as {command: string; target: string; result: string; details?: Record<string, unknown>})
    expect(audit.find((r) => r.command === 'repo add' && r.target.startsWith('later '))).toMatchObject({
      result: 'ok',
      details: {insecureSkipCheck: true, skippedChecks: ['reachable', 'api', 'credentials', 'namespace']},
    })
    // Refused adds are audited too.
    expect(audit.some((r) => r.command === 'repo add' && r.target.startsWith('gone ') && r.result === 'error')).toBe(true)
  })

  it('repo validate lists every repository and every failed check in --json, and exits with the worst failure', async () => {
    const result = await inWs(['repo', 'validate', '--json'])
    expect(result.exitCode).toBe(6)
    const {repositories} = json<ErrorDoc>(result).error.details
    const byName = Object.fromEntries((repositories ?? []).map((r) => [r.name, r]))
    expect(byName['team-a']).toMatchObject({valid: true, exit: 0})
    expect(byName.default).toMatchObject({valid: true})
    // The implicit repository is read by everyone using the workspace: its push rights are not probed.
    expect(byName.default.checks.map((c) => c.check)).not.toContain('push')
    expect(byName.later).toMatchObject({valid: false, exit: 6})
    expect(byName.later.checks.find((c) => c.check === 'reachable')?.status).toBe('failed')
    const one = await inWs(['repo', 'validate', 'team-a'])
    ok(one)
    expect(one.stdout).toContain('team-a')
    const missing = await inWs(['repo', 'validate', 'nope'])
    expect(missing.exitCode).toBe(4)
  })

  it('a layout store: ro needs layouts in the folder (exit 4 when missing), rw needs it writable', async () => {
    const store = path.join(box.root, 'store')
    const copied = await runCli(['oci', 'copy', `${teamA.host}/team-a/redis:0.1.0`, `oci-layout://${store}/redis:0.1.0`], {env, cwd: box.root})
    ok(copied)
    const added = await outside(['repo', 'add', 'local', `oci-layout://${store}`, '--json'])
    ok(added)
    expect(json<SaveDoc>(added).checks.map((c) => [c.check, c.status])).toEqual([
      ['url', 'ok'],
      ['folder', 'ok'],
      ['namespace', 'ok'],
    ])
    const files = await bothFiles()
    const missing = await outside(['repo', 'add', 'nowhere', 'oci-layout://./no-such-folder', '--mode', 'rw', '--json'])
    expect(missing.exitCode).toBe(4)
    expect(json<ErrorDoc>(missing).error.details.checks?.map((c) => [c.check, c.status])).toEqual([
      ['url', 'ok'],
      ['folder', 'failed'],
      ['namespace', 'skipped'],
      ['writable', 'skipped'],
    ])
    expect(await bothFiles()).toEqual(files)
  })

  it('an ro repository refuses oci push, tag, delete, copy and sign (exit 10, the registry unchanged) while an rw one accepts a push', async () => {
    const before = await tagsOf(teamA, 'team-a/redis')
    await writeExtension(extensionDir, {name: 'redis', version: '0.2.0'})
    const push = await inWs(['oci', 'push', extensionDir, `${teamA.host}/team-a/redis:0.2.0`, '--json'])
    expect(push.exitCode).toBe(10)
    const refusal = json<ErrorDoc>(push).error
    expect(refusal.message).toContain('belongs to repository team-a')
    expect(refusal.hint).toContain('repo update team-a --mode rw')
    const tag = await inWs(['oci', 'tag', `${teamA.host}/team-a/redis:0.1.0`, 'stable'])
    expect(tag.exitCode).toBe(10)
    const remove = await inWs(['oci', 'delete', `${teamA.host}/team-a/redis:0.1.0`, '--yes'])
    expect(remove.exitCode).toBe(10)
    const copy = await inWs(['oci', 'copy', `oci-layout://${path.join(box.root, 'store')}/redis:0.1.0`, `${teamA.host}/team-a/copied:0.1.0`])
    expect(copy.exitCode).toBe(10)
    const [key] = await generateKeys((args, extra) => inWs(args, extra.env), ['ro-signer'], 'pass-phrase')
    const sign = await inWs(['oci', 'sign', `${teamA.host}/team-a/redis:0.1.0`, '--key', key.privateKeyFile, '--json'], {
      PROVISIONING_SIGNING_PASSWORD: 'pass-phrase',
    })
    expect(sign.exitCode, sign.stderr).toBe(10)
    expect(json<ErrorDoc>(sign).error.message).toContain('sign to')
    expect(await tagsOf(teamA, 'team-a/redis')).toEqual(before)
    expect(await catalog(teamA)).not.toContain('team-a/copied')

    // Another namespace of the same registry belongs to the implicit repository (rw).
    ok(await inWs(['oci', 'push', extensionDir, `${teamA.host}/elsewhere/redis:0.2.0`]))
    // scratch is rw (declared privately by this user).
    ok(await outside(['oci', 'push', extensionDir, `${teamB.host}/scratch/redis:0.2.0`]))
    expect(await tagsOf(teamB, 'scratch/redis')).toEqual(['0.2.0'])
  })

  it('selectors: two users with different repository_selector see different repo list; --all shows hidden ones, marked', async () => {
    ok(await inWs(['repo', 'add', 'team-b', `oci://${teamB.host}/scratch`, '--label', 'env=dev', '--mode', 'rw']))
    const homes = {prod: path.join(box.root, 'prod-user'), dev: path.join(box.root, 'dev-user')}
    for (const [selector, home] of Object.entries(homes)) {
      await mkdir(home, {recursive: true})
      await writeFile(path.join(home, 'config.user.toml'), `repository_selector = "env=${selector}"\n`)
    }
    const list = async (home: string, extra: string[] = []) => {
      const result = await inWs(['repo', 'list', '--json', ...extra], {PROVISIONING_HOME: home})
      ok(result)
      return json<ListDoc>(result)
    }
    expect((await list(homes.prod)).repositories.map((r) => r.name)).toEqual(['default', 'later', 'team-a'])
    expect((await list(homes.dev)).repositories.map((r) => r.name)).toEqual(['default', 'team-b'])
    const all = await list(homes.dev, ['--all'])
    expect(all.repositories.map((r) => [r.name, r.hidden])).toEqual([
      ['default', false],
      ['later', true],
      ['team-a', true],
      ['team-b', false],
    ])
    expect((await list(homes.dev, ['--all', '--selector', 'env notin (dev)'])).repositories.map((r) => r.name)).toEqual(['default', 'later', 'team-a'])
    const text = await inWs(['repo', 'list', '--all'], {PROVISIONING_HOME: homes.dev})
    expect(text.stdout).toContain('team-a (hidden)')
    const badSelector = await inWs(['repo', 'list', '--selector', 'env in (prod'])
    expect(badSelector.exitCode).toBe(2)
  })

  it('update and remove edit the declaring file and keep its comments; default and unknown names are refused', async () => {
    const original = await readFile(userFile(), 'utf8')
    const updated = await outside(['repo', 'update', 'scratch', '--label', 'tier=gold', '--remove-label', 'env', '--description', 'my scratch', '--json'])
    ok(updated)
    expect(json<SaveDoc>(updated)).toMatchObject({action: 'updated', visibility: 'private', checks: []})
    expect(await readFile(userFile(), 'utf8')).toBe(
      original.replace('priority = 20\n', 'priority = 20\ndescription = "my scratch"\n').replace('env = "dev"\n', 'tier = "gold"\n'),
    )
    ok(await outside(['repo', 'remove', 'scratch']))
    ok(await outside(['repo', 'remove', 'local']))
    expect(await readFile(userFile(), 'utf8')).toBe(USER_TOML)

    // Comments written by hand around and inside an entry survive an update of that entry.
    const commented = (await readFile(workspaceFile(), 'utf8'))
      .replace('  team-b:\n', "  # Team B's scratch space.\n  team-b:\n")
      .replace(`    url: oci://${teamB.host}/scratch\n`, `    url: oci://${teamB.host}/scratch   # shared with team A\n`)
    await writeFile(workspaceFile(), commented)
    ok(await inWs(['repo', 'update', 'team-b', '--priority', '5', '--remove-label', 'env']))
    ok(await inWs(['repo', 'remove', 'later']))
    const yamlText = await readFile(workspaceFile(), 'utf8')
    expect(yamlText.startsWith(WORKSPACE_YAML)).toBe(true)
    expect(yamlText).toContain("  # Team B's scratch space.\n  team-b:\n")
    expect(yamlText).toContain('# shared with team A')
    expect(Object.keys(YAML.parse(yamlText).repositories)).toEqual(['team-a', 'team-b'])
    expect(YAML.parse(yamlText).repositories['team-b']).toEqual({url: `oci://${teamB.host}/scratch`, mode: 'rw', priority: 5})
    // Declarations that are fine raise no "unknown key" warning.
    const fine = await inWs(['config', 'validate', '--json'])
    ok(fine)
    expect(JSON.stringify(json(fine))).not.toContain('unknown key')

    const files = await bothFiles()
    const implicit = await inWs(['repo', 'update', 'default', '--priority', '3'])
    expect(implicit.exitCode).toBe(3)
    expect(implicit.stderr).toContain('dependencies.extensions.oci')
    const unknown = await inWs(['repo', 'remove', 'nope'])
    expect(unknown.exitCode).toBe(4)
    const move = await inWs(['repo', 'update', 'team-a', '--visibility', 'private'])
    expect(move.exitCode).toBe(2)
    const viaSet = await inWs(['repo', 'remove', 'adhoc', '--set', 'repositories.adhoc.url=oci://r.example.com/x'])
    expect(viaSet.exitCode).toBe(3)
    // A new mode is checked before it is saved: team-a's namespace holds repositories, so rw needs the push probe to pass.
    ok(await inWs(['repo', 'update', 'team-a', '--mode', 'rw']))
    ok(await inWs(['repo', 'update', 'team-a', '--mode', 'ro']))
    expect(await bothFiles()).toEqual(files)
    // Removing the last ones gives back the file as it was before any repo command.
    ok(await inWs(['repo', 'remove', 'team-a']))
    ok(await inWs(['repo', 'remove', 'team-b']))
    expect(await readFile(workspaceFile(), 'utf8')).toBe(WORKSPACE_YAML)
  })

  it('two concurrent repo add runs into one file both land', async () => {
    const names = ['one', 'two', 'three']
    const results = await Promise.all(names.map((name) => outside(['repo', 'add', name, `oci://127.0.0.1:1/${name}`, '--insecure-skip-check'])))
    for (const result of results) ok(result)
    const list = await outside(['repo', 'list', '--json'])
    expect(json<ListDoc>(list).repositories.map((r) => r.name)).toEqual(['default', ...names.toSorted()])
  })

  it('a broken declaration: config validate reports it with its key; repo list warns; unrelated commands keep working', async () => {
    const home = path.join(box.root, 'broken-home')
    await mkdir(home, {recursive: true})
    await writeFile(
      path.join(home, 'config.user.toml'),
      '[repositories.web]\nurl = "https://reg.example.com/x"\n\n[repositories."a.b"]\nurl = "oci://reg.example.com/y"\n',
    )
    const validate = await outside(['config', 'validate', '--json'], {PROVISIONING_HOME: home})
    expect(validate.exitCode).toBe(3)
    const problems = json<{error: {details: {errors: Array<{key?: string; message: string}>; warnings: Array<{message: string}>}}}>(validate).error.details
    expect(problems.errors.map((e) => e.key)).toEqual(['repositories.web', 'repositories.a.b'])
    expect(problems.warnings.filter((w) => w.message.includes('unknown key'))).toEqual([])
    const list = await outside(['repo', 'list', '--json'], {PROVISIONING_HOME: home})
    ok(list)
    expect(json<ListDoc>(list).problems).toHaveLength(2)
    ok(await outside(['config', 'get', 'oci.registry'], {PROVISIONING_HOME: home}))
    ok(await outside(['oci', 'tags', `${teamA.host}/team-a/redis`], {PROVISIONING_HOME: home}))
  })
  it('repo remove refuses a repository the dependency declaration still names (its list or a pin), file unchanged', async () => {
    const before = await readFile(workspaceFile(), 'utf8')
    const doc = YAML.parse(before) as Record<string, unknown>
    doc.repositories = {'team-a': {url: `oci://${teamA.host}/team-a`}}
    doc.dependencies = {extensions: {repositories: ['default', 'team-a'], modules: {taskservs: [{name: 'redis', version: '*', repository: 'team-a'}]}}}
    const pinned = YAML.stringify(doc)
    await writeFile(workspaceFile(), pinned)
    try {
      const result = await inWs(['repo', 'remove', 'team-a', '--json'])
      expect(result.exitCode, result.stdout).toBe(3)
      expect(json<{error: {details: {referencedAt: string[]}}}>(result).error.details.referencedAt).toEqual([
        'dependencies.extensions.repositories',
        'dependencies.extensions.modules.taskservs[0]',
      ])
      expect(await readFile(workspaceFile(), 'utf8')).toBe(pinned)
    } finally {
      await writeFile(workspaceFile(), before)
    }
  })
  it('a workspace locked by someone else refuses repo add of a public repository (exit 9), its file unchanged; a private one still lands', async () => {
    const locked = await inWs(['workspace', 'lock', ws, '--reason', 'release freeze'], {PROVISIONING_LOCKING__OWNER: 'alice'})
    expect(locked.exitCode, locked.stderr).toBe(0)
    try {
      const before = await readFile(workspaceFile(), 'utf8')
      const result = await inWs(['repo', 'add', 'frozen', `oci://${teamA.host}/team-a`, '--insecure-skip-check', '--json'], {
        PROVISIONING_LOCKING__OWNER: 'bob',
      })
      expect(result.exitCode, result.stdout).toBe(9)
      expect(json<ErrorDoc>(result).error.message).toContain('alice')
      expect(await readFile(workspaceFile(), 'utf8')).toBe(before)
      ok(
        await inWs(['repo', 'add', 'mine', `oci://${teamA.host}/team-a`, '--visibility', 'private', '--insecure-skip-check'], {
          PROVISIONING_LOCKING__OWNER: 'bob',
        }),
      )
      ok(await inWs(['repo', 'remove', 'mine'], {PROVISIONING_LOCKING__OWNER: 'bob'}))
    } finally {
      ok(await inWs(['workspace', 'unlock', ws], {PROVISIONING_LOCKING__OWNER: 'alice'}))
    }
  })
})
