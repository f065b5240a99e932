import path from 'node:path'

import {UsageError} from '../errors.js'
import {expandHome} from '../util/home.js'
import {isDigest} from './digest.js'

export const LAYOUT_SCHEME = 'oci-layout://'

/**
 * Where an artifact lives: a remote registry (`host[:port]`) or an OCI image layout on
 * disk. In a layout store each repository is its own OCI image layout folder under the
 * store root (`<root>/<namespace>/<name>/`), so skopeo and oras can read it directly.
 */
export type Location = {kind: 'remote'; host: string} | {kind: 'layout'; root: string}

export interface Reference {
  location: Location
  /** `namespace/name`; empty for a layout reference naming the layout folder itself. */
  repository: string
  tag?: string
  digest?: string
}

export interface ReferenceDefaults {
  registry: string
  namespace: string
}

const REPO_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
/**
 * A registry host as the distribution reference grammar has it: DNS labels joined by dots
 * (`localhost`, `ghcr.io`), an IPv4 address or a bracketed IPv6 one, and an optional port.
 * Anything else (`..`, `.`, `a..b`, `user:pw@host`, a path) is a mistake, never a host to
 * look up.
 */
const DNS_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
const REGISTRY_HOST = new RegExp(`^(?:${DNS_LABEL}(?:\\.${DNS_LABEL})*|\\d{1,3}(?:\\.\\d{1,3}){3}|\\[[0-9A-Fa-f:.]+\\])(?::(\\d{1,5}))?$`)

export function isRegistryHost(host: string): boolean {
  const match = REGISTRY_HOST.exec(host)
  if (!match || host.length > 255) return false
  const port = match[1] === undefined ? undefined : Number(match[1])
  return port === undefined || (port >= 1 && port <= 65_535)
}
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/

export function parseLocation(registry: string, cwd = process.cwd()): Location {
  if (registry.startsWith(LAYOUT_SCHEME)) {
    const dir = registry.slice(LAYOUT_SCHEME.length)
    if (!dir) throw new UsageError('oci-layout:// needs a folder path', {hint: 'e.g. oci-layout://~/.provisioning/oci-store'})
    return {kind: 'layout', root: path.resolve(cwd, expandHome(dir))}
  }
  const host = registry
    .replace(/^oci:\/\//, '')
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '')
  const hint = 'use host[:port] (e.g. localhost:5000) or oci-layout://PATH'
  // Never echoed: the part before "@" is a password as often as not.
  if (host.includes('@'))
    throw new UsageError('invalid registry: credentials do not belong in a registry name', {hint: `${hint}; store credentials with "provisioning oci login"`})
  if (!isRegistryHost(host)) throw new UsageError(`invalid registry "${registry}"`, {hint})
  return {kind: 'remote', host: host === 'docker.io' ? 'registry-1.docker.io' : host}
}

function splitTagDigest(value: string): {name: string; tag?: string; digest?: string} {
  let name = value
  let digest: string | undefined
  const at = name.indexOf('@')
  if (at >= 0) {
    digest = name.slice(at + 1)
    name = name.slice(0, at)
  }
  let tag: string | undefined
  const colon = name.lastIndexOf(':')
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1)
    name = name.slice(0, colon)
  }
  return {name, tag, digest}
}

function checkParts(input: string, repository: string, tag?: string, digest?: string): void {
  const hint = 'references look like name:1.0.0, host:5000/namespace/name:1.0.0, oci://host/ns/name@sha256:… or oci-layout://PATH:tag'
  if (repository && !repository.split('/').every((c) => REPO_COMPONENT.test(c))) {
    throw new UsageError(`invalid reference "${input}": repository "${repository}" must be lower-case components separated by "/"`, {hint})
  }
  if (tag !== undefined && !TAG_PATTERN.test(tag)) throw new UsageError(`invalid reference "${input}": bad tag "${tag}"`, {hint})
  if (digest !== undefined && !isDigest(digest)) throw new UsageError(`invalid reference "${input}": bad digest "${digest}"`, {hint})
}

/**
 * Parses `oci://host[:port]/ns/name:tag`, `host/ns/name@sha256:…`, `oci-layout://PATH:tag`
 * and the short `name[:tag]` / `ns/name[:tag]` forms, which are expanded with
 * `oci.registry` and `oci.namespace`.
 */
export function parseReference(input: string, defaults: ReferenceDefaults, cwd = process.cwd()): Reference {
  const trimmed = input.trim()
  if (trimmed.startsWith(LAYOUT_SCHEME)) {
    const {name, tag, digest} = splitTagDigest(trimmed.slice(LAYOUT_SCHEME.length))
    if (!name) throw new UsageError(`invalid reference "${input}": no layout folder`, {hint: 'e.g. oci-layout:///tmp/store/ns/redis:7.2.0'})
    checkParts(input, '', tag, digest)
    return {location: {kind: 'layout', root: path.resolve(cwd, expandHome(name))}, repository: '', tag, digest}
  }
  const body = trimmed.replace(/^oci:\/\//, '')
  // `user:password@host/ns/name`: a digest never contains "/", so this is userinfo. Never
  // echoed (every message below repeats the input).
  const at = body.indexOf('@')
  if (at >= 0 && body.slice(at + 1).includes('/')) {
    throw new UsageError('invalid reference: credentials do not belong in a reference', {
      hint: 'write host/namespace/name:tag and store credentials with "provisioning oci login HOST"',
    })
  }
  const {name, tag, digest} = splitTagDigest(body)
  const first = name.split('/')[0]
  const explicitHost = body !== trimmed || (name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost'))
  if (explicitHost) {
    if (!first.includes('@') && !isRegistryHost(first)) {
      throw new UsageError(`invalid reference "${input}": "${first}" is not a registry host (name[.name…][:port], localhost or an IP address)`, {
        hint: 'references look like name:1.0.0 or host:5000/namespace/name:1.0.0; a folder is addressed as oci-layout://PATH',
      })
    }
    const repository = name.slice(first.length + 1)
    if (!repository)
      throw new UsageError(`invalid reference "${input}": no repository after the host`, {
        hint: 'e.g. oci://localhost:5000/provisioning-extensions/redis:7.2.0',
      })
    checkParts(input, repository, tag, digest)
    return {location: parseLocation(first), repository, tag, digest}
  }
  const repository = name.includes('/') ? name : defaults.namespace ? `${defaults.namespace}/${name}` : name
  checkParts(input, repository, tag, digest)
  return {location: parseLocation(defaults.registry, cwd), repository, tag, digest}
}

export function formatLocation(location: Location): string {
  return location.kind === 'remote' ? location.host : `${LAYOUT_SCHEME}${location.root}`
}

/** Canonical string form: `host/ns/name:tag@digest` or `oci-layout://root/ns/name:tag`. */
export function formatReference(ref: Reference): string {
  const base =
    ref.location.kind === 'remote'
      ? `${ref.location.host}/${ref.repository}`
      : `${LAYOUT_SCHEME}${ref.repository ? path.join(ref.location.root, ref.repository) : ref.location.root}`
  return `${base}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`
}

/**
 * The artifact's own name: the repository's last part, or for a layout reference (the
 * layout folder itself, no repository) the folder's name.
 */
export function artifactName(ref: Reference): string {
  if (ref.repository) return ref.repository.split('/').pop() ?? ref.repository
  return ref.location.kind === 'layout' ? path.basename(ref.location.root) : ''
}

export function withTag(ref: Reference, tag: string): Reference {
  return {...ref, tag, digest: undefined}
}
