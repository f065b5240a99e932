import {readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {AuthError} from '../errors.js'
import {homePaths} from '../util/home.js'

/** Where credentials for a registry came from, in lookup order (SPEC §8.3). */
export type CredentialSource = 'auth.json' | 'docker-config' | 'docker-cred-helper' | 'registry-auth-file' | 'token-file'

export type Credential =
  | {kind: 'basic'; username: string; password: string}
  | {kind: 'identity-token'; username: string; token: string}
  | {kind: 'bearer'; token: string}

export interface CredentialLookup {
  home: string
  env: NodeJS.ProcessEnv
  /** oci.auth_token_path: a file holding a bearer token. */
  tokenPath?: string
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
  const host = value.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '').toLowerCase()
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
  return data.Username === '<token>' ? {kind: 'identity-token', username: '<token>', token: data.Secret} : {kind: 'basic', username: data.Username ?? '', password: data.Secret}
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

  if (options.tokenPath) {
    const token = await readFile(options.tokenPath, 'utf8').then((t) => t.trim(), () => '')
    if (token) return {source: 'token-file', credential: {kind: 'bearer', token}}
  }
  return undefined
}
