import {readFile} from 'node:fs/promises'

import {AuthError, UsageError} from '../../errors.js'
import {writeFileAtomic} from '../../util/atomic-write.js'
import {homePaths} from '../../util/home.js'
import {registryKey} from '../credentials.js'
import {orasLoginArgs, runOras} from '../oras-engine.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface LoginResult {
  registry: string
  username: string
  authFile: string
}

interface AuthFileContent {
  auths?: Record<string, {auth?: string; [key: string]: unknown}>
  [key: string]: unknown
}

async function readAuthFile(file: string): Promise<AuthFileContent> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as AuthFileContent
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new AuthError(`${file} is not valid JSON`, {hint: `repair or remove ${file}, then log in again`, details: {file}})
  }
}

/**
 * `oci login`: verifies the credentials against the registry first, then stores them in
 * auth.json (Docker config format, mode 0600). Nothing is saved when verification fails.
 */
export async function login(options: OciOperationOptions & {registry: string; username: string; password: string}): Promise<LoginResult> {
  if (!options.username) throw new UsageError('a username is required', {hint: 'pass --username NAME'})
  if (!options.password) throw new UsageError('an empty password was given', {hint: 'pipe it in: echo "$PASSWORD" | provisioning oci login HOST --username NAME --password-stdin'})
  return withSession(options, async ({settings, engine, oci}) => {
    const host = registryKey(options.registry)
    const authFile = homePaths.authFile(settings.home)
    if (engine.engine === 'oras' && engine.orasPath) {
      await runOras(engine.orasPath, orasLoginArgs(host, options.username, settings), {input: options.password})
      return {registry: host, username: options.username, authFile}
    }
    const store = oci.remote(host, async () => ({kind: 'basic', username: options.username, password: options.password}))
    try {
      await store.client.verifyLogin()
    } catch (error) {
      // The generic hint ("log in with oci login") would send the user round in a circle.
      // A refusal to send the password in clear text is not a rejection: it says so itself.
      if (!(error instanceof AuthError) || error.details.cleartext) throw error
      throw new AuthError(`${host} rejected the credentials of "${options.username}"`, {
        hint: 'check the user name and password, then run the login again (nothing was saved)',
        details: {...error.details, registry: host, username: options.username, reason: error.message},
        cause: error,
      })
    }
    const content = await readAuthFile(authFile)
    const auths = Object.fromEntries(Object.entries(content.auths ?? {}).filter(([key]) => registryKey(key) !== host))
    auths[host] = {auth: Buffer.from(`${options.username}:${options.password}`).toString('base64')}
    await writeFileAtomic(authFile, `${JSON.stringify({...content, auths}, null, 2)}\n`, {mode: 0o600})
    return {registry: host, username: options.username, authFile}
  })
}

/** `oci logout`: removes the registry's entry from auth.json. */
export async function logout(options: OciOperationOptions & {registry: string}): Promise<{registry: string; removed: boolean; authFile: string}> {
  return withSession(options, async ({settings}) => {
    const host = registryKey(options.registry)
    const authFile = homePaths.authFile(settings.home)
    const content = await readAuthFile(authFile)
    const before = Object.keys(content.auths ?? {})
    const auths = Object.fromEntries(Object.entries(content.auths ?? {}).filter(([key]) => registryKey(key) !== host))
    const removed = Object.keys(auths).length < before.length
    if (removed) await writeFileAtomic(authFile, `${JSON.stringify({...content, auths}, null, 2)}\n`, {mode: 0o600})
    return {registry: host, removed, authFile}
  })
}
