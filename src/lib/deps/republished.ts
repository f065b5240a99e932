import {IntegrityError} from '../errors.js'
import type {Lockfile} from './lockfile.js'
import type {Catalog} from './types.js'

/** A locked version whose tag now names other content in the same repository. */
export interface Republished {
  name: string
  version: string
  /** The locked reference (repository and tag). */
  reference: string
  /** The manifest digest the lockfile pins. */
  locked: string
  /** The manifest digest the registry's tag names now. */
  current: string
}

/** `host/ns/name:tag` without its tag: every locked reference has one (locked-reference.ts). */
const repositoryOf = (reference: string) => reference.slice(0, reference.lastIndexOf(':'))

/**
 * Every locked extension whose version the catalog read again (its tag resolved afresh, see
 * registry-catalog.ts) and found at another digest of the same repository. A lock that now
 * points elsewhere (another registry declared) is a change of source, not a republish.
 */
export function findRepublished(
  lock: Lockfile | undefined,
  catalog: Catalog,
  originOf: (name: string, version: string) => {digest?: string; reference: string},
): Republished[] {
  const found: Republished[] = []
  for (const entry of lock?.extensions ?? []) {
    if (!catalog.versions(entry.name)?.some((c) => c.version === entry.version)) continue
    const {digest, reference} = originOf(entry.name, entry.version)
    if (digest === undefined || digest === entry.digest || repositoryOf(reference) !== repositoryOf(entry.reference)) continue
    found.push({name: entry.name, version: entry.version, reference: entry.reference, locked: entry.digest, current: digest})
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : 1))
}

export const republishedLine = (r: Omit<Republished, 'reference'>) => `${r.name}@${r.version} was republished: locked ${r.locked}, registry now ${r.current}`

/**
 * Stops (exit 8) on every republished extension not accepted by name: a lock promises the
 * content it pins, so other content under a locked version is never taken silently.
 */
export function assertRepublishedAccepted(found: Republished[], accepted: readonly string[]): void {
  const refused = found.filter((r) => !accepted.includes(r.name))
  if (refused.length === 0) return
  const names = refused.map((r) => r.name).join(' ')
  throw new IntegrityError(refused.map(republishedLine).join('\n'), {
    hint: `the registry holds other content under a locked version; check the new content, then run "provisioning dep update ${names} --accept-republished" (nothing was installed and the lockfile is unchanged)`,
    details: {republished: refused},
  })
}
