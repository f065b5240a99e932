import {UsageError} from '../../errors.js'
import {homePaths} from '../../util/home.js'
import {registryKey} from '../credentials.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface LoginResult {
  registry: string
  username: string
  authFile: string
}

/**
 * `oci login`: the engine verifies the credentials against the registry first, then stores
 * them in auth.json (Docker config format, mode 0600). Nothing is saved when verification fails.
 */
export async function login(options: OciOperationOptions & {registry: string; username: string; password: string}): Promise<LoginResult> {
  if (!options.username) throw new UsageError('a username is required', {hint: 'pass --username NAME'})
  if (!options.password)
    throw new UsageError('an empty password was given', {hint: 'pipe it in: echo "$PASSWORD" | provisioning oci login HOST --username NAME --password-stdin'})
  return withSession(options, async ({settings, engine}) => {
    const host = registryKey(options.registry)
    await engine.login(host, options.username, options.password)
    return {registry: host, username: options.username, authFile: homePaths.authFile(settings.home)}
  })
}

/** `oci logout`: removes the registry's entry from auth.json. */
export async function logout(options: OciOperationOptions & {registry: string}): Promise<{registry: string; removed: boolean; authFile: string}> {
  return withSession(options, async ({settings, engine}) => {
    const host = registryKey(options.registry)
    const {removed} = await engine.logout(host)
    return {registry: host, removed, authFile: homePaths.authFile(settings.home)}
  })
}
