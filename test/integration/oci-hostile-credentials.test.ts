import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {type HostileRegistry, startHostileRegistry} from '../fixtures/hostile-registry.js'
import {selfSignedCert} from '../helpers/certs.js'
import {type CliResult, runCli} from '../helpers/cli.js'
import type {ErrorDoc} from '../helpers/oci-types.js'
import {tarGz} from '../helpers/tar.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * SPEC §14: credentials go over plain HTTP only from a loopback registry configured
 * plain-HTTP to a loopback realm (non-loopback hosts: oci-hostile-transport.test.ts), and
 * HTTPS -> HTTP redirects are refused; a redirect to another HTTPS origin
 * is followed without the Authorization header. The built CLI against the hostile
 * registry over TLS, with stored Basic credentials and a token realm the test chooses.
 */
const USER = 'alice'
const PASSWORD = 'pa55-never-in-clear-Zq81'

function errorOf(result: CliResult): ErrorDoc['error'] {
  try {
    return (JSON.parse(result.stdout) as ErrorDoc).error
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.exitCode}):\n${result.stdout}\n--- stderr:\n${result.stderr}`)
  }
}

function expectNoSecret(result: CliResult): void {
  const encoded = Buffer.from(`${USER}:${PASSWORD}`).toString('base64')
  for (const stream of [result.stdout, result.stderr]) {
    expect(stream).not.toContain(PASSWORD)
    expect(stream).not.toContain(encoded)
  }
}

const extensionLayer = (name: string) => tarGz([{name: 'manifest.yaml', content: `name: ${name}\ntype: taskserv\nversion: 1.0.0\n`}])

describe('credentials and redirects against a hostile registry (built CLI)', () => {
  let tls: HostileRegistry
  let plain: HostileRegistry
  let box: Sandbox
  let ca: string

  beforeAll(async () => {
    box = await sandbox()
    const certs = path.join(box.root, 'certs')
    await mkdir(certs, {recursive: true})
    const cert = await selfSignedCert(certs)
    ca = cert.certFile
    tls = await startHostileRegistry({tls: cert})
    plain = await startHostileRegistry()
    // Stored credentials for both registries (Docker's config.json, as `docker login` leaves it).
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64')
    await mkdir(box.env.DOCKER_CONFIG, {recursive: true})
    await writeFile(path.join(box.env.DOCKER_CONFIG, 'config.json'), JSON.stringify({auths: {[tls.host]: {auth}, [plain.host]: {auth}}}))
    for (const registry of [tls, plain]) registry.setArtifact('provisioning-extensions/secret', '1.0.0', {layer: extensionLayer('secret')})
  })
  afterAll(async () => {
    await tls?.stop()
    await plain?.stop()
    await box?.cleanup()
  })
  afterEach(() => {
    tls.reset()
    plain.reset()
  })

  const overTls = (args: string[]) =>
    runCli([...args, '--json'], {
      env: {
        ...box.env,
        PROVISIONING_OCI__REGISTRY: tls.host,
        PROVISIONING_OCI__TOOL: 'native',
        PROVISIONING_OCI__TLS_ENABLED: 'true',
        PROVISIONING_OCI__CA_FILE: ca,
      },
      cwd: box.root,
    })
  const passwordsSent = (registry: HostileRegistry) => registry.requests.filter((r) => r.sentPassword)

  it('an HTTPS registry naming an http:// token realm gets no credentials: exit 7 with a hint, nothing sent in clear', async () => {
    tls.requireAuth({user: USER, password: PASSWORD, realm: `${tls.plainUrl}/token`})
    const result = await overTls(['oci', 'tags', 'secret'])
    const error = errorOf(result)
    expect({exit: result.exitCode, code: error.exit}, result.stderr).toEqual({exit: 7, code: 7})
    expect(error.message).toMatch(/plain HTTP/)
    expect(error.hint).toMatch(/https|tls_enabled/)
    expect(tls.requests.filter((r) => r.listener === 'plain')).toEqual([])
    expectNoSecret(result)
  })

  it('a token realm on another host over https gets the credentials (as Docker Hub works)', async () => {
    const port = tls.host.split(':')[1]
    tls.requireAuth({user: USER, password: PASSWORD, realm: `https://localhost:${port}/token`})
    const result = await overTls(['oci', 'tags', 'secret'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(passwordsSent(tls).map((r) => ({listener: r.listener, path: r.path.split('?')[0]}))).toEqual([{listener: 'main', path: '/token'}])
    expectNoSecret(result)
  })

  it('a loopback registry configured plain-HTTP may use a loopback plain-HTTP realm (clear text that never leaves the machine)', async () => {
    plain.requireAuth({user: USER, password: PASSWORD, realm: `${plain.plainUrl}/token`})
    const result = await runCli(['oci', 'tags', 'secret', '--json'], {
      env: {...box.env, PROVISIONING_OCI__REGISTRY: plain.host, PROVISIONING_OCI__TOOL: 'native', PROVISIONING_OCI__TLS_ENABLED: 'false'},
      cwd: box.root,
    })
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(passwordsSent(plain).map((r) => r.listener)).toEqual(['plain'])
    expectNoSecret(result)
  })

  for (const kind of ['manifest', 'blob'] as const) {
    it(`an HTTPS -> HTTP redirect of a ${kind} GET is refused (exit 6), nothing fetched over HTTP`, async () => {
      tls.requireAuth({user: USER, password: PASSWORD, realm: `${tls.url}/token`})
      const pattern = kind === 'manifest' ? /\/manifests\// : /\/blobs\//
      tls.behave({
        match: {method: 'GET', path: pattern, listener: 'main'},
        behaviour: {redirect: `${tls.plainUrl}/direct/v2/provisioning-extensions/secret/${kind === 'manifest' ? 'manifests/1.0.0' : 'blobs/x'}`},
      })
      const result = await overTls(['oci', 'pull', 'secret:1.0.0', '--output', path.join(box.root, `out-${kind}`)])
      const error = errorOf(result)
      expect({exit: result.exitCode, code: error.exit}, result.stderr).toEqual({exit: 6, code: 6})
      expect(error.message).toMatch(/redirected an HTTPS request to http:/)
      expect(tls.requests.filter((r) => r.listener === 'plain')).toEqual([])
      expectNoSecret(result)
    })
  }

  it('a redirect to another HTTPS origin is followed without the Authorization header', async () => {
    const port = tls.host.split(':')[1]
    tls.requireAuth({user: USER, password: PASSWORD, realm: `${tls.url}/token`})
    // localhost and 127.0.0.1 are different origins (the certificate names both).
    const artifact = tls.setArtifact('provisioning-extensions/secret', '1.0.0', {layer: extensionLayer('secret')})
    for (const blob of [artifact.config, artifact.layer!]) {
      tls.behave({
        match: {method: 'GET', path: new RegExp(`^/v2/.*/blobs/${blob.digest}`), listener: 'main'},
        behaviour: {redirect: `https://localhost:${port}/direct/v2/provisioning-extensions/secret/blobs/${blob.digest}`},
      })
    }
    const result = await overTls(['oci', 'pull', 'secret:1.0.0', '--output', path.join(box.root, 'out-redirected')])
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    const direct = tls.requests.filter((r) => r.path.startsWith('/direct/'))
    expect(direct.length).toBeGreaterThan(0)
    expect(direct.map((r) => r.authorization)).toEqual(direct.map(() => undefined))
    // The registry's own requests did carry the token.
    expect(tls.requests.some((r) => r.path.startsWith('/v2/provisioning-extensions') && r.authorization === 'bearer')).toBe(true)
    expectNoSecret(result)
  })
})
