import {mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {type HostileRegistry, startHostileRegistry} from '../fixtures/hostile-registry.js'
import {selfSignedCert} from '../helpers/certs.js'
import {type CliResult, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, EXAMPLES} from '../helpers/deps.js'
import type {ErrorDoc} from '../helpers/oci-types.js'
import {tarGz} from '../helpers/tar.js'
import {testHostsEnv} from '../helpers/test-hosts.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * SPEC §14 and README "Credentials only where they belong", for hosts the configuration did
 * not name, for the configured or declared registry itself and for token files (built CLI).
 * oci.tls_enabled=false means plain HTTP only for the configured (or declared) registry
 * and loopback hosts, and no stored credential of any kind (Basic, identity token, token
 * file) ever goes in clear text to a host that is not loopback: such a registry is spoken
 * to anonymously, and a demand for credentials is exit 7. A token file is offered only to
 * the registry it is configured for, and a workspace may name one only inside
 * $PROVISIONING_HOME/tokens/; its content must be a token.
 *
 * A "remote" host is a fixture on 127.0.0.1 that the CLI reaches as `registry.test`: a name
 * the transport policy does not take for loopback, mapped to 127.0.0.1 in the CLI process
 * only (testHostsEnv(), test/fixtures/test-hosts.mjs). Test servers never bind another
 * interface.
 */
const USER = 'alice'
const PASSWORD = 'pa55-never-in-clear-Zq81'
const TOKEN = 'static-token-7Hq2vW9xPz'
const SECRET_FILE = 'https://alice:ghp_secretFromGitCredentials@github.com\n'
const REMOTE = 'registry.test'

function errorOf(result: CliResult): ErrorDoc['error'] {
  try {
    return (JSON.parse(result.stdout) as ErrorDoc).error
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.exitCode}):\n${result.stdout}\n--- stderr:\n${result.stderr}`)
  }
}

function expectExit(result: CliResult, exit: number): ErrorDoc['error'] {
  const error = errorOf(result)
  expect({exit: result.exitCode, code: error.exit}, `${error.message}\n${result.stderr}`).toEqual({exit, code: exit})
  return error
}

function expectNothingLeaked(result: CliResult): void {
  for (const stream of [result.stdout, result.stderr]) {
    for (const secret of [PASSWORD, TOKEN, 'ghp_secretFromGitCredentials', Buffer.from(`${USER}:${PASSWORD}`).toString('base64')])
      expect(stream).not.toContain(secret)
  }
}

const extensionLayer = (name: string) => tarGz([{name: 'manifest.yaml', content: `name: ${name}\ntype: taskserv\nversion: 1.0.0\n`}])

describe('plain HTTP and token files only where they belong (built CLI)', () => {
  let box: Sandbox
  let local: HostileRegistry
  let other: HostileRegistry
  let remote: HostileRegistry
  /** The same name over TLS, with a certificate naming it. */
  let remoteTls: HostileRegistry
  let ca: string
  let env: Record<string, string>
  let storeToken: string
  let n = 0

  beforeAll(async () => {
    box = await sandbox()
    local = await startHostileRegistry()
    other = await startHostileRegistry()
    remote = await startHostileRegistry({hostName: REMOTE})
    const certs = path.join(box.root, 'certs')
    await mkdir(certs, {recursive: true})
    const cert = await selfSignedCert(certs, 'remote', REMOTE, [REMOTE])
    ca = cert.certFile
    remoteTls = await startHostileRegistry({tls: cert, hostName: REMOTE})
    const registries = [local, other, remote, remoteTls]
    // Stored Basic credentials for the remote host (as `docker login` leaves them); the
    // loopback registries have none, so a token file is their only credential.
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64')
    await mkdir(box.env.DOCKER_CONFIG, {recursive: true})
    await writeFile(path.join(box.env.DOCKER_CONFIG, 'config.json'), JSON.stringify({auths: {[remote.host]: {auth}, [remoteTls.host]: {auth}}}))
    for (const registry of registries) {
      for (const name of ['secret', 'elsewhere']) registry.setArtifact(`provisioning-extensions/${name}`, '1.0.0', {layer: extensionLayer(name)})
    }
    storeToken = path.join(box.home, 'tokens', 'oci')
    await mkdir(path.dirname(storeToken), {recursive: true})
    await writeFile(storeToken, `${TOKEN}\n`)
    await writeFile(path.join(box.root, 'git-credentials'), SECRET_FILE)
    // No oci.registry of the user's own: each test names one.
    env = {...box.env, PROVISIONING_OCI__TOOL: 'native', PROVISIONING_OCI__TIMEOUT_SECONDS: '10', PROVISIONING_OCI__RETRIES: '0', ...testHostsEnv([REMOTE])}
  })
  afterAll(async () => {
    await Promise.all([local, other, remote, remoteTls].map((r) => r?.stop()))
    await box?.cleanup()
  })
  afterEach(() => {
    for (const r of [local, other, remote, remoteTls]) r?.reset()
  })

  /** A workspace declaring `oci` (tls_enabled false, as a pull request could write it) and `modules`. */
  async function workspace(oci: Record<string, unknown>, taskservs: string[]): Promise<string> {
    const ws = await bareWorkspace(box.root, `ws-${++n}`)
    const file = path.join(ws, 'config', 'provisioning.yaml')
    const config = YAML.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    config.dependencies = {extensions: {source_type: 'oci', oci: {tls_enabled: false, ...oci}, modules: {taskservs}}}
    await writeFile(file, YAML.stringify(config))
    return ws
  }
  const depResolve = (ws: string, extra: Record<string, string> = {}) => runCli(['dep', 'resolve', '--json'], {env: {...env, ...extra}, cwd: ws})
  const bearers = (r: HostileRegistry) => r.requests.filter((q) => q.authorization === 'bearer')
  /** Requests that carried a stored credential: any Basic header, or a POST to the realm (a refresh token). */
  const credentialed = (r: HostileRegistry) =>
    r.requests.filter(
      (q) => q.authorization === 'basic' || q.authorization === 'other' || q.sentPassword || (q.method === 'POST' && q.path.startsWith('/token')),
    )
  /** `oci ARGS --json` with `registry` configured plain HTTP (tls_enabled=false), as the user's own config would. */
  const plainCli = (registry: HostileRegistry, args: string[], extra: Record<string, string> = {}) =>
    runCli(['oci', ...args, '--json'], {
      env: {...env, PROVISIONING_OCI__REGISTRY: registry.host, PROVISIONING_OCI__TLS_ENABLED: 'false', ...extra},
      cwd: box.root,
    })
  const expectCleartextRefusal = (result: CliResult) => {
    const error = expectExit(result, 7)
    expect(error.message).toMatch(/plain HTTP and is not a loopback host/)
    expect(error.hint).toContain('serve the registry over TLS; credentials are never sent in clear text to another host')
    expectNothingLeaked(result)
  }

  it('a declaration with tls_enabled: false does not make another host a module names plain HTTP: HTTPS is tried, nothing goes there in clear', async () => {
    const target = remote
    // A man in the middle would answer 401 Basic to collect the stored password.
    target.behave({match: {path: /^\/v2/}, behaviour: {status: 401, headers: {'www-authenticate': 'Basic realm="mitm"'}, body: '{}'}})
    const ws = await workspace({registry: local.host}, [`oci://${target.host}/provisioning-extensions/secret:1.0.0`])
    const result = await depResolve(ws)
    const error = expectExit(result, 6)
    // It was reached (the name resolved) and refused the handshake, rather than not found.
    expect(error.message).not.toMatch(/ENOTFOUND|EAI_AGAIN/)
    // The fixture speaks plain HTTP: a TLS handshake is never a request it could answer.
    expect(target.requests).toEqual([])
    expectNothingLeaked(result)
  })

  it('the configured registry itself is still plain HTTP with tls_enabled=false', async () => {
    const target = remote
    const result = await runCli(['oci', 'tags', 'secret', '--json'], {
      env: {...env, PROVISIONING_OCI__REGISTRY: target.host, PROVISIONING_OCI__TLS_ENABLED: 'false'},
      cwd: box.root,
    })
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(target.requests.some((r) => r.path.includes('/tags/list'))).toBe(true)
  })

  it('a declaration naming a token file outside $PROVISIONING_HOME/tokens (~/.git-credentials) is a configuration error (exit 3): nothing is read or sent', async () => {
    local.requireAuth({user: USER, password: PASSWORD, realm: `${local.plainUrl}/token`})
    const ws = await workspace({registry: local.host, auth_token_path: path.join(box.root, 'git-credentials')}, ['secret:1.0.0'])
    const result = await depResolve(ws)
    const error = expectExit(result, 3)
    expect(error.message).toContain('dependencies.extensions.oci.auth_token_path')
    expect(local.requests).toEqual([])
    expectNothingLeaked(result)
  })

  it('oci.auth_token_path set by the workspace config (not the declaration) is held to the same rule (exit 3 naming the key)', async () => {
    const ws = await workspace({registry: local.host}, ['secret:1.0.0'])
    const file = path.join(ws, 'config', 'provisioning.yaml')
    const config = YAML.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    config.oci = {auth_token_path: path.join(box.root, 'git-credentials')}
    await writeFile(file, YAML.stringify(config))
    const result = await depResolve(ws)
    const error = expectExit(result, 3)
    expect(error.message).toMatch(/^oci\.auth_token_path names/)
    expect(local.requests).toEqual([])
    expectNothingLeaked(result)
  })

  it("a token in $PROVISIONING_HOME/tokens/ named by the declaration is sent as Bearer to the declared registry when the user's own config names it too", async () => {
    local.requireAuth({user: USER, password: PASSWORD, realm: `${local.plainUrl}/token`})
    local.acceptToken(TOKEN)
    const ws = await workspace({registry: local.host, auth_token_path: storeToken}, ['secret:1.0.0'])
    const result = await depResolve(ws, {PROVISIONING_OCI__REGISTRY: local.host})
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(bearers(local).length).toBeGreaterThan(0)
    // The static token was used as it is: no token service round trip.
    expect(local.requests.filter((r) => r.path.startsWith('/token'))).toEqual([])
  })

  it("a declaration naming the user's token file and a registry of its own choosing gets no token (exit 7, no bearer sent)", async () => {
    other.requireAuth({user: 'nobody', password: 'x', realm: `${other.plainUrl}/token`})
    other.acceptToken(TOKEN)
    const ws = await workspace({registry: other.host, auth_token_path: storeToken}, ['secret:1.0.0'])
    // The user keeps that token for their own registry.
    const result = await depResolve(ws, {PROVISIONING_OCI__REGISTRY: local.host, PROVISIONING_OCI__AUTH_TOKEN_PATH: storeToken})
    expectExit(result, 7)
    expect(bearers(other)).toEqual([])
    // Without a registry of the user's own (only the default), the declared one gets nothing either.
    const bare = await depResolve(ws)
    expectExit(bare, 7)
    expect(bearers(other)).toEqual([])
  })

  it('the token file is never offered to another host a module names (exit 7 there, no bearer sent)', async () => {
    for (const r of [local, other]) r.requireAuth({user: 'nobody', password: 'x', realm: `${r.plainUrl}/token`})
    local.acceptToken(TOKEN)
    other.acceptToken(TOKEN) // it would be accepted there: it must still not be sent
    const ws = await workspace({registry: local.host, auth_token_path: storeToken}, [
      'secret:1.0.0',
      `oci://${other.host}/provisioning-extensions/elsewhere:1.0.0`,
    ])
    const result = await depResolve(ws)
    expectExit(result, 7)
    expect(bearers(other)).toEqual([])
    expectNothingLeaked(result)
  })

  it("the user's own token file is bound to the user's registry: a declaration naming another registry does not get it", async () => {
    other.requireAuth({user: 'nobody', password: 'x', realm: `${other.plainUrl}/token`})
    other.acceptToken(TOKEN)
    const ws = await workspace({registry: other.host}, ['secret:1.0.0'])
    const result = await depResolve(ws, {PROVISIONING_OCI__REGISTRY: local.host, PROVISIONING_OCI__AUTH_TOKEN_PATH: storeToken})
    expectExit(result, 7)
    expect(bearers(other)).toEqual([])
  })

  it("workspace migrate-to-oci to the registry a local-source declaration names does not send the user's token there (exit 7, no bearer sent)", async () => {
    other.requireAuth({user: 'nobody', password: 'x', realm: `${other.plainUrl}/token`})
    other.acceptToken(TOKEN)
    const ws = await bareWorkspace(box.root, `ws-${++n}`)
    await declare(ws, {local: EXAMPLES}, {providers: [], taskservs: ['redis:7.2.0'], clusters: []})
    const file = path.join(ws, 'config', 'provisioning.yaml')
    const config = YAML.parse(await readFile(file, 'utf8')) as {dependencies: {extensions: Record<string, unknown>}}
    // The migration target, as a pull request could write it.
    config.dependencies.extensions.oci = {registry: other.host, tls_enabled: false}
    await writeFile(file, YAML.stringify(config))
    const result = await runCli(['workspace', 'migrate-to-oci', ws, '--json'], {
      env: {...env, PROVISIONING_OCI__REGISTRY: local.host, PROVISIONING_OCI__AUTH_TOKEN_PATH: storeToken},
      cwd: box.root,
    })
    expectExit(result, 7)
    expect(bearers(other)).toEqual([])
    expectNothingLeaked(result)
  })

  it("the user's own token file is not sent to a registry that the workspace config (not the declaration) names", async () => {
    other.requireAuth({user: 'nobody', password: 'x', realm: `${other.plainUrl}/token`})
    other.acceptToken(TOKEN)
    const ws = await bareWorkspace(box.root, `ws-${++n}`)
    const file = path.join(ws, 'config', 'provisioning.yaml')
    const config = YAML.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    config.oci = {registry: other.host, tls_enabled: false}
    await writeFile(file, YAML.stringify(config))
    const result = await runCli(['oci', 'pull', 'secret:1.0.0', '--output', path.join(box.root, `out-${n}`), '--json'], {
      env: {...env, PROVISIONING_OCI__AUTH_TOKEN_PATH: storeToken},
      cwd: ws,
    })
    expectExit(result, 7)
    expect(bearers(other)).toEqual([])
  })

  it('a token file that does not hold one token (two lines) is not sent (exit 7), its content never echoed', async () => {
    const file = path.join(box.home, 'tokens', 'two-lines')
    await writeFile(file, SECRET_FILE + SECRET_FILE)
    local.requireAuth({user: USER, password: PASSWORD, realm: `${local.plainUrl}/token`})
    const ws = await workspace({registry: local.host, auth_token_path: file}, ['secret:1.0.0'])
    const result = await depResolve(ws, {PROVISIONING_OCI__REGISTRY: local.host})
    const error = expectExit(result, 7)
    expect(error.message).toContain('does not hold a bearer token')
    expect(bearers(local)).toEqual([])
    expectNothingLeaked(result)
  })

  it('a token file is never sent over plain HTTP to a non-loopback registry, even the configured one (exit 7)', async () => {
    const target = remote
    target.requireAuth({user: USER, password: PASSWORD, realm: `${target.plainUrl}/token`})
    target.acceptToken(TOKEN)
    const result = await runCli(['oci', 'tags', 'secret', '--json'], {
      // No stored password for it this time: the token file is the credential.
      env: {
        ...env,
        DOCKER_CONFIG: path.join(box.root, 'no-docker'),
        PROVISIONING_OCI__REGISTRY: target.host,
        PROVISIONING_OCI__TLS_ENABLED: 'false',
        PROVISIONING_OCI__AUTH_TOKEN_PATH: storeToken,
      },
      cwd: box.root,
    })
    const error = expectExit(result, 7)
    expect(error.message).toMatch(/plain HTTP/)
    expect(bearers(target)).toEqual([])
    expectNothingLeaked(result)
  })

  it('a declaration naming a real host as its plain-HTTP registry does not get the stored Basic credentials for it: anonymous, then exit 7', async () => {
    // The attack: `registry: registry.company.com` with `tls_enabled: false` in a pull request.
    remote.requireAuth({user: USER, password: PASSWORD, realm: `${remote.url}/token`})
    const ws = await workspace({registry: remote.host}, ['secret:1.0.0'])
    const result = await depResolve(ws)
    expectCleartextRefusal(result)
    expect(remote.requests.length).toBeGreaterThan(0)
    expect(remote.requests.map((r) => r.authorization)).toEqual(remote.requests.map(() => undefined))
    expect(credentialed(remote)).toEqual([])
  })

  it('a plain-HTTP non-loopback registry asking for Basic itself gets no Authorization header (exit 7 with the TLS hint)', async () => {
    remote.behave({match: {path: /^\/v2/}, behaviour: {status: 401, headers: {'www-authenticate': 'Basic realm="registry"'}, body: '{}'}})
    const result = await plainCli(remote, ['tags', 'secret'])
    expectCleartextRefusal(result)
    expect(remote.requests.length).toBeGreaterThan(0)
    expect(remote.requests.map((r) => r.authorization)).toEqual(remote.requests.map(() => undefined))
  })

  it('nor its token realm, even on loopback: the Basic credentials and identity tokens stay home (exit 7)', async () => {
    remote.requireAuth({user: USER, password: PASSWORD, realm: `${remote.plainUrl}/token`})
    const basic = await plainCli(remote, ['pull', 'secret:1.0.0', '--output', path.join(box.root, 'never-basic')])
    expectCleartextRefusal(basic)
    expect(credentialed(remote)).toEqual([])
    expect(remote.requests.map((r) => r.authorization)).toEqual(remote.requests.map(() => undefined))

    remote.reset()
    remote.requireAuth({user: USER, password: PASSWORD, realm: `${remote.plainUrl}/token`})
    const dockerConfig = path.join(box.root, 'docker-identity')
    await mkdir(dockerConfig, {recursive: true})
    await writeFile(path.join(dockerConfig, 'config.json'), JSON.stringify({auths: {[remote.host]: {username: '<token>', identitytoken: TOKEN}}}))
    const identity = await plainCli(remote, ['tags', 'secret'], {DOCKER_CONFIG: dockerConfig})
    expectCleartextRefusal(identity)
    expect(credentialed(remote)).toEqual([])
  })

  it('oci login to a plain-HTTP non-loopback registry is refused before anything is sent (exit 7), nothing saved', async () => {
    remote.requireAuth({user: USER, password: PASSWORD, realm: `${remote.url}/token`})
    const result = await runCli(['oci', 'login', remote.host, '--username', USER, '--password-stdin', '--json'], {
      env: {...env, PROVISIONING_OCI__REGISTRY: remote.host, PROVISIONING_OCI__TLS_ENABLED: 'false'},
      cwd: box.root,
      input: `${PASSWORD}\n`,
    })
    expectCleartextRefusal(result)
    expect(remote.requests).toEqual([])
    await expect(readFile(path.join(box.home, 'auth.json'), 'utf8')).rejects.toThrow()
  })

  it('anonymous pulls from a plain-HTTP non-loopback registry still work, with tokens its token service issues to anonymous requests', async () => {
    remote.requireAuth({user: USER, password: PASSWORD, realm: `${remote.url}/token`, anonymous: true})
    const out = path.join(box.root, 'anonymous-pull')
    const result = await plainCli(remote, ['pull', 'secret:1.0.0', '--output', out])
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(await readFile(path.join(out, 'manifest.yaml'), 'utf8')).toContain('name: secret')
    expect(bearers(remote).length).toBeGreaterThan(0)
    expect(credentialed(remote)).toEqual([])
    expectNothingLeaked(result)
  })

  it('the same host over TLS (a certificate naming it) gets the stored Basic credentials at its https realm', async () => {
    remoteTls.requireAuth({user: USER, password: PASSWORD, realm: `${remoteTls.url}/token`})
    const result = await runCli(['oci', 'tags', 'secret', '--json'], {
      env: {...env, PROVISIONING_OCI__REGISTRY: remoteTls.host, PROVISIONING_OCI__TLS_ENABLED: 'true', PROVISIONING_OCI__CA_FILE: ca},
      cwd: box.root,
    })
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(remoteTls.requests.filter((r) => r.sentPassword).map((r) => ({listener: r.listener, path: r.path.split('?')[0]}))).toEqual([
      {listener: 'main', path: '/token'},
    ])
    expect(bearers(remoteTls).length).toBeGreaterThan(0)
    expectNothingLeaked(result)
  })
})
