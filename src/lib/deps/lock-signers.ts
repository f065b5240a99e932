import pLimit from 'p-limit'

import {ValidationError} from '../errors.js'
import {type Descriptor, MediaType} from '../oci/media-types.js'
import type {ContentStore} from '../oci/store.js'
import type {OciStores} from '../oci/stores.js'
import type {TrustGate} from '../signing/enforce.js'
import type {LockedExtension, Lockfile} from './lockfile.js'
import type {PlannedExtension, ResolutionPlan} from './plan.js'

export interface PlanSigners {
  /** The plan's lock with each extension's verified signer recorded. */
  lock: Lockfile
  /** The lock differs from the plan's (a followed lock gains or changes a signer, so it is rewritten). */
  changed: boolean
  warnings: string[]
}

/**
 * The trust policy over a plan, before anything is installed: every registry artifact of the
 * plan (also when the lock is followed, and offline from the verification cache) must carry a
 * valid signature from a trusted key where the policy asks for one (exit 8 otherwise). The
 * verified key is recorded per extension; one that is no longer the key the lock recorded is
 * said (and with --frozen, the lock is out of date: exit 10).
 */
export async function verifyPlanSigners(
  oci: OciStores,
  gate: TrustGate,
  plan: ResolutionPlan,
  previous: Lockfile | undefined,
  options: {frozen?: boolean; concurrency: number; lockfilePath: string},
): Promise<PlanSigners> {
  const before = new Map(previous?.extensions.map((e) => [e.name, e]))
  const limit = pLimit(Math.max(1, options.concurrency))
  const verified = await Promise.all(plan.extensions.map((extension) => limit(() => signerOf(oci, gate, extension, before.get(extension.name)?.signer))))
  // Without verification, the same content keeps the signer recorded for it: the lock does
  // not churn between people whose policies differ.
  const signerByName = new Map(
    plan.extensions.map((e, i) => [e.name, verified[i] ?? (before.get(e.name)?.digest === e.digest ? before.get(e.name)?.signer : undefined)]),
  )
  const changes = plan.extensions.flatMap((extension) => {
    const recorded = before.get(extension.name)?.signer
    const signer = signerByName.get(extension.name)
    return recorded && signer && signer !== recorded
      ? [`${extension.name}@${extension.version} (${extension.reference}@${extension.digest}) is signed by ${signer}, not by ${recorded} as the lock records`]
      : []
  })
  if (changes.length > 0 && options.frozen) {
    throw new ValidationError(
      `${options.lockfilePath} is out of date: the signer of ${changes.length === 1 ? 'an extension' : 'extensions'} changed:\n${changes.map((c) => `  - ${c}`).join('\n')}`,
      {
        hint: 'run "provisioning dep resolve" (without --frozen), check that the new signing key is the one you expect, and commit the lockfile',
        details: {lockfile: options.lockfilePath, changes},
      },
    )
  }
  const extensions = plan.lock.extensions.map(({signer: _recorded, ...entry}): LockedExtension => {
    const signer = signerByName.get(entry.name)
    return signer ? {...entry, signer} : entry
  })
  const changed = extensions.some((e, i) => e.signer !== plan.lock.extensions[i].signer)
  return {lock: {...plan.lock, extensions}, changed, warnings: changes.map((change) => `${change}; the lock now records the new signer`)}
}

/** The verified signer of a registry artifact where the policy asks for one; local folders are the user's own and not signed. */
async function signerOf(oci: OciStores, gate: TrustGate, extension: PlannedExtension, preferred: string | undefined): Promise<string | undefined> {
  if (!gate.active || extension.origin.kind !== 'oci') return undefined
  const {location, repository} = extension.origin.reference
  const store = oci.cachedStore(location)
  const manifest = {digest: extension.digest, descriptor: () => pinnedDescriptor(oci, store, repository, extension.digest)}
  const {signer} = await gate.check({location, repository, reference: extension.reference}, store, manifest, preferred)
  return signer
}

/** The descriptor of a locked manifest: from the blob cache when there, else asked of the registry (by digest). */
async function pinnedDescriptor(oci: OciStores, store: ContentStore, repository: string, digest: string): Promise<Descriptor> {
  const bytes = await oci.cache.get({digest})
  if (!bytes) return store.resolve(repository, digest)
  let mediaType: unknown
  try {
    mediaType = (JSON.parse(bytes.toString('utf8')) as {mediaType?: unknown}).mediaType
  } catch {
    mediaType = undefined
  }
  return {mediaType: typeof mediaType === 'string' ? mediaType : MediaType.imageManifest, digest, size: bytes.byteLength}
}
