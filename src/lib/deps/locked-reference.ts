import path from 'node:path'

import {isRegistryHost, LAYOUT_SCHEME, parseReference, type Reference, TAG_PATTERN} from '../oci/reference.js'

/** Where a locked extension comes from, parsed from the lockfile's `reference` field. */
export type LockedOrigin = {kind: 'oci'; reference: Reference} | {kind: 'local'; dir: string}

const LOCAL_PREFIX = 'local:'

/** An absolute path without `.`/`..` segments or control characters, as this CLI writes them. */
// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const isCleanAbsolute = (dir: string) => path.isAbsolute(dir) && path.resolve(dir) === dir && !/[\0-\x1f]/.test(dir)

export const localReference = (dir: string) => `${LOCAL_PREFIX}${dir}`

/**
 * The forms `dep resolve` writes: `host[:port]/ns/name:tag`, `oci-layout:///root:tag` and
 * `local:/abs/dir`. Anything else (another scheme, relative or `..` paths, a digest in
 * place of the tag) is refused; whether it is the *right* place is the lock contract's job.
 */
export function parseLockedReference(text: string, digest: string): LockedOrigin | undefined {
  if (text.startsWith(LOCAL_PREFIX)) {
    const dir = text.slice(LOCAL_PREFIX.length)
    return isCleanAbsolute(dir) ? {kind: 'local', dir} : undefined
  }
  if (text.startsWith(LAYOUT_SCHEME)) {
    const body = text.slice(LAYOUT_SCHEME.length)
    const colon = body.lastIndexOf(':')
    const [root, tag] = [body.slice(0, colon), body.slice(colon + 1)]
    if (colon < 0 || !isCleanAbsolute(root) || !TAG_PATTERN.test(tag)) return undefined
    return {kind: 'oci', reference: {location: {kind: 'layout', root}, repository: '', tag, digest}}
  }
  const host = text.slice(0, text.indexOf('/'))
  if (!isRegistryHost(host)) return undefined
  try {
    const reference = parseReference(`oci://${text}`, {registry: '', namespace: ''})
    if (!reference.tag || reference.digest || reference.location.kind !== 'remote') return undefined
    return {kind: 'oci', reference: {...reference, digest}}
  } catch {
    return undefined
  }
}

export const isLockedReferenceText = (text: string) => parseLockedReference(text, '') !== undefined
