import {existsSync, realpathSync} from 'node:fs'
import {open, readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {AuthError, ConfigError} from '../errors.js'
import {homePaths} from '../util/home.js'

/** Where credentials for a registry came from, in lookup order (SPEC §8.3). */
export type CredentialSource = 'auth.json' | 'docker-config' | 'docker-cred-helper' | 'registry-auth-file' | 'token-file'

export type Credential =
  {kind: 'basic'; username: string; password: string} | {kind: 'identity-token'; username: string; token: string} | {kind: 'bearer'; token: string}

/**
 * A file holding a bearer token (oci.auth_token_path, or the workspace declaration's
 * dependencies.extensions.oci.auth_token_path) and the one registry it is for: the
 * registry configured beside it. It is never offered to another host.
 */
export interface TokenFile {
  path: string
  registry: string
  /** The config key that named it, for messages. */
  key: string
}

export interface CredentialLookup {
  home: string
  env: NodeJS.ProcessEnv
  token?: TokenFile
}

/** A token is one line of visible ASCII (a JWT, an opaque or base64 token) of at most this many bytes. */
const MAX_TOKEN_BYTES = 8 * 1024

/**
 * Where a token file named by the workspace (its declaration or its config layers) may be:
 * inside $PROVISIONING_HOME/tokens/, the user's own token store (SPEC §9.1's example is
 * ~/.provisioning/tokens/oci). A workspace arrives through pull requests and is read less
 * carefully than the user's own config; without this, `auth_token_path: ~/.git-credentials`
 * (or auth.json) in a declaration would send that file to the registry it names. Links
 * are resolved first, so a link inside the store cannot point out of it. The user's own
 * oci.auth_token_path (config.user.toml, environment, --set) may point anywhere.
 */
export function assertTokenFileInStore(file: string, key: string, home: string): void {
  const store = resolvedPath(path.join(home, 'tokens'))
  const resolved = resolvedPath(file)
  if (resolved.startsWith(store + path.sep)) return
  throw new ConfigError(`${key} names ${file}, outside the token store ${path.join(home, 'tokens')}; a token file named by the workspace must be there`, {
    hint: `put the registry token in a file under ${path.join(home, 'tokens')} (e.g. ${path.join(home, 'tokens', 'oci')}) and name that, or set oci.auth_token_path in your own config.user.toml`,
    details: {key, file, store: path.join(home, 'tokens')},
  })
}

/** The path with every existing link resolved (the missing tail kept as written). */
function resolvedPath(file: string): string {
  const absolute = path.resolve(file)
  try {
    return realpathSync.native(absolute)
  } catch {
    const parent = path.dirname(absolute)
    return parent === absolute ? absolute : path.join(resolvedPath(parent), path.basename(absolute))
  }
}

/**
 * The token in a token file, or undefined when the file is missing or empty. Anything
 * else that is not one line of visible ASCII (≤ 8 KiB; a final newline is fine) is
 * refused (exit 7) rather than sent: the file may be something else entirely, and its
 * content must reach neither a registry nor a message.
 */
async function readTokenFile(token: TokenFile): Promise<string | undefined> {
  let bytes: Buffer
  try {
    const handle = await open(token.path, 'r')
    try {
      // One byte past the limit (plus a CRLF) tells "too long" without reading a large file.
      const buffer = Buffer.alloc(MAX_TOKEN_BYTES + 3)
      const {bytesRead} = await handle.read(buffer, 0, buffer.length, 0)
      bytes = buffer.subarray(0, bytesRead)
    } finally {
      await handle.close()
    }
  } catch {
    return undefined
  }
  const text = bytes.toString('latin1').replace(/\r?\n$/, '')
  if (text === '') return undefined
  if (text.length > MAX_TOKEN_BYTES || !/^[\x21-\x7e]+$/.test(text)) {
    throw new AuthError(`${token.key} names ${token.path}, which does not hold a bearer token; it was not sent`, {
      hint: `a token file holds one token: a single line of at most ${MAX_TOKEN_BYTES} bytes without spaces or control characters; check that ${token.key} names the right file`,
      details: {key: token.key, file: token.path},
    })
  }
  return text
}

interface AuthEntry {
  auth?: string
  username?: string
  password?: string
  identitytoken?: string
}

interface AuthFile {
  auths?: Record<string, AuthEntry>
  credHelpers?: Record<string, string>
  credsStore?: string
}

/** `https://host:5000/v1/` and `host:5000` name the same registry. */
export function registryKey(value: string): string {
  const host = value
    .replace(/^[a-z]+:\/\//, '')
    .replace(/\/.*$/, '')
    .toLowerCase()
  return host === 'index.docker.io' || host === 'docker.io' ? 'registry-1.docker.io' : host
}

async function readAuthFile(file: string): Promise<AuthFile | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as AuthFile
  } catch {
    return undefined
  }
}

function entryFor(config: AuthFile | undefined, host: string): AuthEntry | undefined {
  const key = Object.keys(config?.auths ?? {}).find((k) => registryKey(k) === host)
  return key ? config?.auths?.[key] : undefined
}

function decodeEntry(entry: AuthEntry, where: string): Credential | undefined {
  if (entry.identitytoken) return {kind: 'identity-token', username: entry.username ?? '<token>', token: entry.identitytoken}
  if (entry.username && entry.password !== undefined) return {kind: 'basic', username: entry.username, password: entry.password}
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) throw new AuthError(`malformed "auth" entry in ${where}`, {hint: 'log in again with "provisioning oci login"', details: {file: where}})
    return {kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1)}
  }
  return undefined
}

/** Runs `docker-credential-<helper> get` with the registry on stdin. */
async function fromHelper(helper: string, host: string): Promise<Credential | undefined> {
  const {execa} = await import('execa')
  const result = await execa(`docker-credential-${helper}`, ['get'], {input: host, reject: false, timeout: 15_000})
  if (result.exitCode !== 0) {
    if (/not found/i.test(String(result.stdout) + String(result.stderr))) return undefined
    throw new AuthError(`credential helper docker-credential-${helper} failed for ${host}`, {
      hint: `check that docker-credential-${helper} is installed and works ("echo ${host} | docker-credential-${helper} get")`,
      details: {helper, host},
    })
  }
  const data = JSON.parse(String(result.stdout)) as {Username?: string; Secret?: string}
  if (!data.Secret) return undefined
  return data.Username === '<token>'
    ? {kind: 'identity-token', username: '<token>', token: data.Secret}
    : {kind: 'basic', username: data.Username ?? '', password: data.Secret}
}

export interface FoundCredential {
  source: CredentialSource
  /** Absent when only existence was asked (helpers are not run then). */
  credential?: Credential
}

/**
 * Looks up credentials for a registry: auth.json, then Docker's config.json (entries,
 * then credHelpers/credsStore), then REGISTRY_AUTH_FILE, then oci.auth_token_path.
 * With `resolve: false` it only says where they are, without running helpers.
 */
export async function lookupCredentials(registry: string, options: CredentialLookup, resolve = true): Promise<FoundCredential | undefined> {
  const host = registryKey(registry)
  const authJson = homePaths.authFile(options.home)
  const own = entryFor(await readAuthFile(authJson), host)
  if (own) return {source: 'auth.json', credential: decodeEntry(own, authJson)}

  const dockerFile = path.join(options.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'), 'config.json')
  const docker = await readAuthFile(dockerFile)
  const dockerEntry = entryFor(docker, host)
  const decoded = dockerEntry ? decodeEntry(dockerEntry, dockerFile) : undefined
  if (decoded) return {source: 'docker-config', credential: decoded}
  const helperKey = Object.keys(docker?.credHelpers ?? {}).find((k) => registryKey(k) === host)
  const helper = helperKey ? docker?.credHelpers?.[helperKey] : docker?.credsStore
  if (helper) {
    if (!resolve) return {source: 'docker-cred-helper'}
    const credential = await fromHelper(helper, host)
    if (credential) return {source: 'docker-cred-helper', credential}
  }

  if (options.env.REGISTRY_AUTH_FILE) {
    const entry = entryFor(await readAuthFile(options.env.REGISTRY_AUTH_FILE), host)
    if (entry) return {source: 'registry-auth-file', credential: decodeEntry(entry, options.env.REGISTRY_AUTH_FILE)}
  }

  // Only for the registry it is configured for, never for another host a reference names.
  if (options.token && registryKey(options.token.registry) === host) {
    if (!resolve) return existsSync(options.token.path) ? {source: 'token-file'} : undefined
    const token = await readTokenFile(options.token)
    if (token) return {source: 'token-file', credential: {kind: 'bearer', token}}
  }
  return undefined
}
