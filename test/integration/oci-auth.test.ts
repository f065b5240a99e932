import {chmod, mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, repoRoot, runCli} from '../helpers/cli.js'
import {useRegistry} from '../helpers/registry.js'
import {readTree} from '../helpers/tree.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * Credentials end to end: `oci login` verifies before saving (0600), stored credentials drive
 * push and pull, `oci logout` forgets them; Basic, TLS + Basic (oci.ca_file, --insecure) and
 * the token flow (a pull-only user); Docker config.json, credHelpers and REGISTRY_AUTH_FILE.
 * No password, nor its base64, may ever appear in any output.
 */
const REDIS = path.join(repoRoot, 'templates/examples/taskservs/redis/7.2.0')
const USER = 'ci-bot'

/** Every stdout and stderr of this file, checked for secrets at the end of each suite. */
const outputs: Array<{args: string[]; text: string}> = []

function expectExit(result: CliResult, code: number): CliResult {
  if (result.exitCode !== code) throw new Error(`expected exit ${code}, got ${result.exitCode}\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`)
  return result
}
const ok = (result: CliResult) => expectExit(result, 0)

/** The forms a secret could leak in: as is, base64 of itself and of user:secret (auth.json, Basic header). */
function secretForms(username: string, password: string): string[] {
  const b64 = (s: string) => Buffer.from(s).toString('base64')
  return [
    password,
    b64(password),
    b64(`${username}:${password}`),
    b64(`${username}:${password}`).replace(/=+$/, ''),
    Buffer.from(`${username}:${password}`).toString('base64url'),
  ]
}

function expectNoSecrets(forms: string[]): void {
  expect(outputs.length).toBeGreaterThan(0)
  for (const {args, text} of outputs) {
    for (const form of forms) {
      if (text.includes(form)) throw new Error(`a secret (${form.slice(0, 3)}…) leaked in the output of: provisioning ${args.join(' ')}\n${text}`)
    }
  }
}

async function fileOrUndefined(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(() => undefined)
}

/** A sandbox with a CLI runner that records every output. */
function useSandbox(base: () => Record<string, string | undefined>) {
  let box: Sandbox
  beforeAll(async () => {
    box = await sandbox()
  })
  afterAll(async () => {
    await box?.cleanup()
  })
  const cli = async (args: string[], options: {env?: Record<string, string | undefined>; input?: string} = {}) => {
    const result = await runCli(args, {
      env: {...box.env, SOURCE_DATE_EPOCH: undefined, REGISTRY_AUTH_FILE: undefined, ...base(), ...options.env},
      input: options.input,
    })
    outputs.push({args, text: `${result.stdout}\n${result.stderr}`})
    return result
  }
  return {box: () => box, cli, authFile: () => path.join(box.home, 'auth.json')}
}

describe('Basic auth (htpasswd)', () => {
  // A colon and a space: user:password splitting and stdin handling must keep them.
  const PASSWORD = 'B4sic:Pw 9f2c71e0'
  const registry = useRegistry({auth: 'basic', username: USER, password: PASSWORD})
  const {box, cli, authFile} = useSandbox(() => ({PROVISIONING_OCI__REGISTRY: registry().host}))
  const login = (password: string, extra: string[] = []) =>
    cli(['oci', 'login', registry().host, '--username', USER, '--password-stdin', ...extra], {input: `${password}\n`})

  it('refuses a push without credentials, naming "oci login"', async () => {
    const denied = expectExit(await cli(['oci', 'push', REDIS]), 7)
    expect(denied.stderr).toContain(`oci login ${registry().host}`)
    const deniedJson = expectExit(await cli(['oci', 'push', REDIS, '--json']), 7)
    expect(json<{error: {exit: number; hint: string}}>(deniedJson).error).toMatchObject({exit: 7, hint: expect.stringContaining('oci login')})
  })

  it('does not save a wrong password (exit 7), saves the right one with mode 0600', async () => {
    const wrong = expectExit(await login('not-the-password'), 7)
    expect(wrong.stderr).toContain(`${registry().host} rejected the credentials of "${USER}"`)
    expect(wrong.stderr).toMatch(/^Hint: .*password/m)
    const wrongJson = expectExit(await login('not-the-password', ['--json', '--verbose']), 7)
    expect(json<{error: {code: string; exit: number}}>(wrongJson).error).toMatchObject({code: 'E_AUTH', exit: 7})
    expect(await fileOrUndefined(authFile())).toBeUndefined()

    // An existing auth.json (too open, with another registry) is kept, tightened to 0600.
    const other = {auth: Buffer.from('someone:else').toString('base64')}
    await writeFile(authFile(), JSON.stringify({auths: {'other.example.com': other}}), {mode: 0o644})
    const saved = ok(await login(PASSWORD, ['--json']))
    expect(json(saved)).toMatchObject({registry: registry().host, username: USER, authFile: authFile()})
    expect((await stat(authFile())).mode & 0o777).toBe(0o600)
    const content = JSON.parse((await fileOrUndefined(authFile()))!) as {auths: Record<string, {auth: string}>}
    expect(Object.keys(content.auths).sort()).toEqual(['other.example.com', registry().host].sort())
    expect(content.auths['other.example.com']).toEqual(other)

    const before = await fileOrUndefined(authFile())
    expectExit(await login('still-wrong'), 7)
    expect(await fileOrUndefined(authFile())).toBe(before)
  })

  it('pushes and pulls with the stored credentials, also with --json and --verbose', async () => {
    const pushed = ok(await cli(['oci', 'push', REDIS, '--verbose']))
    const digest = /^digest: (sha256:[0-9a-f]{64})/m.exec(pushed.stdout)?.[1]
    expect(digest).toBeDefined()
    const out = path.join(box().root, 'pulled')
    const pulled = json<{digest: string}>(ok(await cli(['oci', 'pull', 'redis:7.2.0', '--output', out, '--json', '--verbose'])))
    expect(pulled.digest).toBe(digest)
    expect(await readTree(out)).toEqual(await readTree(REDIS))
    expect(json<{credentials: string}>(ok(await cli(['oci', 'config', '--json']))).credentials).toBe('from auth.json')
  })

  it('logout removes the entry; the registry refuses again', async () => {
    const out = json<{removed: boolean}>(ok(await cli(['oci', 'logout', registry().host, '--json'])))
    expect(out.removed).toBe(true)
    const content = JSON.parse((await fileOrUndefined(authFile()))!) as {auths: Record<string, unknown>}
    expect(Object.keys(content.auths)).toEqual(['other.example.com'])
    expect((await stat(authFile())).mode & 0o777).toBe(0o600)
    expectExit(await cli(['oci', 'tags', 'redis']), 7)
  })

  it('uses credentials from Docker config.json (DOCKER_CONFIG)', async () => {
    const dockerDir = path.join(box().root, 'docker-auths')
    await mkdir(dockerDir, {recursive: true})
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64')
    await writeFile(path.join(dockerDir, 'config.json'), JSON.stringify({auths: {[`https://${registry().host}`]: {auth}}}))
    const env = {DOCKER_CONFIG: dockerDir}
    expect(json<{tags: Array<{tag: string}>}>(ok(await cli(['oci', 'tags', 'redis', '--json'], {env}))).tags.map((t) => t.tag)).toEqual(['7.2.0'])
    expect(json<{credentials: string}>(ok(await cli(['oci', 'config', '--json'], {env}))).credentials).toBe('from docker-config')
  })

  it('uses credentials from REGISTRY_AUTH_FILE', async () => {
    const file = path.join(box().root, 'containers-auth.json')
    await writeFile(file, JSON.stringify({auths: {[registry().host]: {auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}}}))
    const env = {REGISTRY_AUTH_FILE: file}
    ok(await cli(['oci', 'tags', 'redis'], {env}))
    expect(json<{credentials: string}>(ok(await cli(['oci', 'config', '--json'], {env}))).credentials).toBe('from registry-auth-file')
  })

  it('runs a docker-credential helper named in credHelpers', async () => {
    const binDir = path.join(box().root, 'bin')
    const calls = path.join(box().root, 'helper-calls.log')
    await mkdir(binDir, {recursive: true})
    const helper = path.join(binDir, 'docker-credential-test')
    await writeFile(
      helper,
      [
        '#!/bin/sh',
        'read -r server || true',
        `echo "$1 $server" >> '${calls}'`,
        `if [ "$1" = get ] && [ "$server" = '${registry().host}' ]; then`,
        `  printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$server"`,
        'else',
        '  echo "credentials not found in native keychain"',
        '  exit 1',
        'fi',
        '',
      ].join('\n'),
    )
    await chmod(helper, 0o755)
    const dockerDir = path.join(box().root, 'docker-helpers')
    await mkdir(dockerDir, {recursive: true})
    await writeFile(path.join(dockerDir, 'config.json'), JSON.stringify({credHelpers: {[registry().host]: 'test'}}))
    const env = {DOCKER_CONFIG: dockerDir, PATH: `${binDir}${path.delimiter}${process.env.PATH}`}
    const out = path.join(box().root, 'pulled-helper')
    ok(await cli(['oci', 'pull', 'redis:7.2.0', '--output', out, '--verbose'], {env}))
    expect(await readTree(out)).toEqual(await readTree(REDIS))
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toContain(`get ${registry().host}`)
  })

  it('never shows the password or its base64 in any output', () => {
    expectNoSecrets(secretForms(USER, PASSWORD))
  })
})

describe('TLS + Basic auth', () => {
  const PASSWORD = 'Tls-Pw-3b8e44d1'
  const registry = useRegistry({tls: true, auth: 'basic', username: USER, password: PASSWORD})
  const {box, cli, authFile} = useSandbox(() => ({PROVISIONING_OCI__REGISTRY: registry().host, PROVISIONING_OCI__TLS_ENABLED: 'true'}))
  const withCa = () => ({PROVISIONING_OCI__CA_FILE: registry().caFile})
  const login = (password: string, options: {extra?: string[]; env?: Record<string, string | undefined>} = {}) =>
    cli(['oci', 'login', registry().host, '--username', USER, '--password-stdin', ...(options.extra ?? [])], {input: password, env: options.env})

  it('fails on the self-signed certificate without oci.ca_file (exit 6, hint names oci.ca_file)', async () => {
    const failed = expectExit(await login(PASSWORD), 6)
    expect(failed.stderr).toContain('oci.ca_file')
    const failedJson = expectExit(await login(PASSWORD, {extra: ['--json']}), 6)
    expect(json<{error: {hint: string}}>(failedJson).error.hint).toContain('oci.ca_file')
    expect(await fileOrUndefined(authFile())).toBeUndefined()
  })

  it('logs in with --insecure, and with oci.ca_file; a wrong password is still exit 7', async () => {
    ok(await login(PASSWORD, {extra: ['--insecure']}))
    expect((await stat(authFile())).mode & 0o777).toBe(0o600)
    const before = await fileOrUndefined(authFile())
    expectExit(await login('wrong-password', {env: withCa(), extra: ['--verbose']}), 7)
    expect(await fileOrUndefined(authFile())).toBe(before)
    ok(await login(PASSWORD, {env: withCa(), extra: ['--json', '--verbose']}))
  })

  it('pushes with oci.ca_file and pulls with --insecure', async () => {
    const pushed = json<{digest: string}>(ok(await cli(['oci', 'push', REDIS, '--json', '--verbose'], {env: withCa()})))
    expectExit(await cli(['oci', 'tags', 'redis']), 6)
    const out = path.join(box().root, 'pulled')
    const pulled = json<{digest: string}>(ok(await cli(['oci', 'pull', 'redis:7.2.0', '--insecure', '--output', out, '--json'])))
    expect(pulled.digest).toBe(pushed.digest)
    expect(await readTree(out)).toEqual(await readTree(REDIS))
  })

  it('never shows the password or its base64 in any output', () => {
    expectNoSecrets(secretForms(USER, PASSWORD))
  })
})

describe('token auth', () => {
  const PASSWORD = 'T0ken-Pw-5d0a9c37'
  const registry = useRegistry({auth: 'token', username: USER, password: PASSWORD})
  const {box, cli, authFile} = useSandbox(() => ({PROVISIONING_OCI__REGISTRY: registry().host}))
  const reader = () => registry().auth!.reader!

  it('refuses anonymous pushes (exit 7, hint names oci login)', async () => {
    const denied = expectExit(await cli(['oci', 'push', REDIS]), 7)
    expect(denied.stderr).toContain('oci login')
  })

  it('logs in through the token service; pushes and pulls', async () => {
    const wrong = expectExit(await cli(['oci', 'login', registry().host, '-u', USER, '--password-stdin'], {input: 'wrong'}), 7)
    expect(wrong.stderr).toContain(`rejected the credentials of "${USER}"`)
    expect(await fileOrUndefined(authFile())).toBeUndefined()
    ok(await cli(['oci', 'login', registry().host, '-u', USER, '--password-stdin', '--json', '--verbose'], {input: PASSWORD}))
    expect((await stat(authFile())).mode & 0o777).toBe(0o600)
    const pushed = json<{digest: string}>(ok(await cli(['oci', 'push', REDIS, '--json', '--verbose'])))
    const out = path.join(box().root, 'pulled')
    expect(json<{digest: string}>(ok(await cli(['oci', 'pull', 'redis:7.2.0', '--output', out, '--json']))).digest).toBe(pushed.digest)
    expect(await readTree(out)).toEqual(await readTree(REDIS))
    const issued = registry().tokenIssuer!.requests.filter((r) => r.user === USER && r.status === 200)
    expect(issued.some((r) => r.scopes.some((s) => s.endsWith(':pull,push')))).toBe(true)
  })

  it('the pull-only user can pull but not push (exit 7)', async () => {
    ok(await cli(['oci', 'login', registry().host, '-u', reader().username, '--password-stdin'], {input: reader().password}))
    const out = path.join(box().root, 'pulled-by-reader')
    // A cache of its own, so the reader really fetches every blob.
    const cache = path.join(box().root, 'reader-cache')
    ok(await cli(['oci', 'pull', 'redis:7.2.0', '--output', out], {env: {PROVISIONING_OCI__CACHE__DIR: cache}}))
    expect((await readdir(path.join(cache, 'blobs', 'sha256'))).length).toBeGreaterThan(0)
    expect(await readTree(out)).toEqual(await readTree(REDIS))
    const generated = path.join(box().root, 'src', 'readerext')
    ok(await cli(['generate', 'extension', 'taskserv', 'readerext', '--path', generated]))
    const denied = expectExit(await cli(['oci', 'push', generated, '--verbose']), 7)
    expect(denied.stderr).toContain('provisioning-extensions/readerext')
    expect(registry().tokenIssuer!.requests.some((r) => r.user === reader().username && r.status === 200)).toBe(true)
  })

  it('logout removes the entry', async () => {
    ok(await cli(['oci', 'logout', registry().host]))
    const content = JSON.parse((await fileOrUndefined(authFile()))!) as {auths: Record<string, unknown>}
    expect(content.auths).toEqual({})
  })

  it('never shows a password or its base64 in any output', () => {
    expectNoSecrets(secretForms(USER, PASSWORD))
    expectNoSecrets(secretForms(reader().username, reader().password))
  })
})
