import {constants} from 'node:fs'
import {access, stat} from 'node:fs/promises'

import {AuthError, type ErrorCode, isProvisioningError, NotFoundError, RegistryError} from '../errors.js'
import {scope} from '../oci/auth-challenge.js'
import type {Location} from '../oci/reference.js'
import {type RegistryClient, responseHeader} from '../oci/registry-client.js'
import type {ContentStore} from '../oci/store.js'
import type {RepositoryMode} from './repository.js'

/**
 * The checks `repo add` and `repo validate` run, in this order: a failure's exit code is
 * that of the first failed check. Registries: url, reachable, api, credentials, namespace,
 * push (rw). Layouts: url, folder, namespace, writable (rw).
 */
export type CheckName = 'url' | 'reachable' | 'api' | 'credentials' | 'folder' | 'namespace' | 'push' | 'writable'

export interface CheckResult {
  check: CheckName
  status: 'ok' | 'failed' | 'skipped'
  message: string
  /** What to do about a failure. */
  fix?: string
  /** A failure's error code and exit code (SPEC §3). */
  code?: ErrorCode
  exit?: number
}

export interface ProbeTarget {
  location: Location
  namespace: string
  mode: RepositoryMode
  /**
   * Whether an `rw` repository's write rights are probed (the push probe, a layout's
   * writability). Off for the implicit repository in `repo validate`: every reader of a
   * workspace would otherwise be told they cannot push, and start an upload on each run.
   */
  probeWrites?: boolean
}

const writesProbed = (target: ProbeTarget) => target.mode === 'rw' && target.probeWrites !== false

/** The repository every push probe starts (and cancels) an upload in: nothing is ever committed there. */
export const PUSH_PROBE_REPOSITORY = 'provisioning-push-probe'

const API_VERSION = 'registry/2.0'

export const passed = (check: CheckName, message: string): CheckResult => ({check, status: 'ok', message})
export const skipped = (check: CheckName, why: string): CheckResult => ({check, status: 'skipped', message: `skipped: ${why}`})
export function failed(check: CheckName, error: unknown): CheckResult {
  if (!isProvisioningError(error)) throw error
  return {check, status: 'failed', message: error.message, ...(error.hint ? {fix: error.hint} : {}), code: error.code, exit: error.exit}
}

/** The first failed check (check order), if any. */
export const firstFailure = (checks: CheckResult[]): CheckResult | undefined => checks.find((c) => c.status === 'failed')

const inNamespace = (namespace: string) => (repository: string) => namespace === '' || repository.startsWith(`${namespace}/`)

/**
 * A registry repository: every check that can run runs; one that cannot (the registry is
 * unreachable, or does not speak the API) marks the rest skipped with the reason. Nothing
 * is left behind: the push probe cancels the upload session it opens.
 */
export async function probeRegistry(store: ContentStore, client: RegistryClient, target: ProbeTarget, host: string): Promise<CheckResult[]> {
  const checks: CheckResult[] = []
  const rest = (why: string) => {
    const names: CheckName[] = ['api', 'credentials', 'namespace', ...(writesProbed(target) ? (['push'] as const) : [])]
    for (const name of names) if (!checks.some((c) => c.check === name)) checks.push(skipped(name, why))
    return checks
  }
  let anonymous: boolean
  try {
    const answer = await client.pingAnswer()
    checks.push(passed('reachable', `${host} answered GET /v2/ (HTTP ${answer.status})`))
    const version = responseHeader(answer, 'docker-distribution-api-version')
    if ((answer.status !== 200 && answer.status !== 401) || version?.trim().toLowerCase() !== API_VERSION) {
      checks.push(
        failed(
          'api',
          new RegistryError(
            `${host} is not an OCI distribution registry: GET /v2/ answered HTTP ${answer.status}${version ? ` with API version ${JSON.stringify(version)}` : ' without a Docker-Distribution-API-Version header'}`,
            {hint: 'the URL must name a registry host[:port] (e.g. oci://registry.example.com/team), not a web page or another service'},
          ),
        ),
      )
      return rest('not an OCI distribution registry')
    }
    checks.push(passed('api', `${host} speaks the distribution API (${API_VERSION})`))
    anonymous = answer.status === 200
  } catch (error) {
    checks.push(failed('reachable', error))
    return rest('registry unreachable')
  }

  try {
    if (anonymous) checks.push(passed('credentials', `${host} answers without credentials`))
    else {
      await client.send({method: 'GET', path: '/v2/', scopes: []}, `sign in to ${host}`)
      checks.push(passed('credentials', `${host} accepted the stored credentials`))
    }
  } catch (error) {
    checks.push(failed('credentials', loginHint(error, host)))
    return rest('credentials refused')
  }

  checks.push(await namespaceCheck(store, target, host))
  if (writesProbed(target)) checks.push(await pushCheck(client, target.namespace, host))
  return checks
}

/** An auth failure's fix names `oci login` for this host. */
function loginHint(error: unknown, host: string): unknown {
  if (!(error instanceof AuthError)) return error
  return new AuthError(error.message, {hint: `provisioning oci login ${host} (credentials are looked up by host, never declared)`, details: error.details})
}

/**
 * A layout repository: the folder must exist and hold OCI layouts (for `ro`), and be
 * writable for `rw`.
 */
export async function probeLayout(store: ContentStore, target: ProbeTarget, root: string): Promise<CheckResult[]> {
  const info = await stat(root).catch(() => undefined)
  if (!info?.isDirectory()) {
    const missing = new NotFoundError(`${root} ${info ? 'is not a folder' : 'does not exist'}`, {
      hint: `point the URL at an OCI layout folder, or create one (e.g. "provisioning oci copy NAME:VERSION oci-layout://${root}/NAME:VERSION")`,
    })
    return [failed('folder', missing), skipped('namespace', 'no layout folder'), ...(writesProbed(target) ? [skipped('writable', 'no layout folder')] : [])]
  }
  const checks = [passed('folder', `${root} is a folder`), await namespaceCheck(store, target, root)]
  if (writesProbed(target)) {
    try {
      await access(root, constants.W_OK)
      checks.push(passed('writable', `${root} is writable`))
    } catch {
      checks.push(
        failed(
          'writable',
          new AuthError(`${root} is not writable by this user`, {hint: `make it writable (chmod u+w ${root}) or declare the repository --mode ro`}),
        ),
      )
    }
  }
  return checks
}

/** The namespace holds repositories: for `ro` an empty one is the wrong namespace; for `rw` it is merely new. */
async function namespaceCheck(store: ContentStore, target: ProbeTarget, where: string): Promise<CheckResult> {
  const shown = target.namespace === '' ? where : `${where}/${target.namespace}`
  let repositories: string[]
  try {
    repositories = (await store.listRepositories()).filter(inNamespace(target.namespace))
  } catch (error) {
    if (error instanceof RegistryError && error.message.includes('_catalog'))
      return skipped('namespace', `${where} does not offer _catalog, so the namespace cannot be listed`)
    return failed('namespace', error)
  }
  if (repositories.length > 0) return passed('namespace', `${shown} holds ${repositories.length} repositor${repositories.length === 1 ? 'y' : 'ies'}`)
  if (target.mode === 'rw') return passed('namespace', `${shown} is empty (fine for rw: the first push creates it)`)
  return failed(
    'namespace',
    new NotFoundError(`wrong namespace: ${shown} holds no repository, so a read-only repository there offers nothing`, {
      hint: 'check the namespace in the URL ("provisioning oci list --registry HOST" lists what the registry holds), or declare it --mode rw to publish there',
    }),
  )
}

/** Opens a blob upload session and cancels it: the registry answers with its push rights, and nothing is committed. */
async function pushCheck(client: RegistryClient, namespace: string, host: string): Promise<CheckResult> {
  const repository = namespace === '' ? PUSH_PROBE_REPOSITORY : `${namespace}/${PUSH_PROBE_REPOSITORY}`
  const scopes = [scope.push(repository)]
  let location: string | undefined
  try {
    const start = await client.send({method: 'POST', path: `/v2/${repository}/blobs/uploads/`, scopes, accept: [201, 202]}, `start an upload to ${repository}`)
    const header = responseHeader(start, 'location')
    location = header ? new URL(header, start.url).toString() : undefined
  } catch (error) {
    return failed('push', loginHint(error, host))
  }
  if (!location) return passed('push', `${host} accepts pushes to ${namespace || 'its root'}`)
  // The registry names where its upload lives: a probe sends nothing to another origin on its word.
  if (new URL(location).origin !== new URL(client.base).origin)
    return passed('push', `${host} accepts pushes to ${namespace || 'its root'} (its upload session lives on another origin and was left to expire)`)
  try {
    await client.send({method: 'DELETE', path: location, scopes, accept: [200, 202, 204, 404]}, `cancel the probe upload in ${repository}`)
    return passed('push', `${host} accepts pushes to ${namespace || 'its root'} (probe upload opened and cancelled)`)
  } catch (error) {
    const why = isProvisioningError(error) ? error.message : String(error)
    return passed(
      'push',
      `${host} accepts pushes to ${namespace || 'its root'} (the probe upload could not be cancelled: ${why}; registries discard abandoned uploads)`,
    )
  }
}
