import {AuthError} from '../../errors.js'
import {homePaths} from '../../util/home.js'
import type {BuiltArtifact} from '../../artifact/artifact.js'
import type {OciStores} from '../stores.js'
import {copyArtifact, type CopyListeners, type CopyRequest, type CopyStats} from '../copy.js'
import {MemoryStore} from '../memory-store.js'
import type {Reference} from '../reference.js'
import {removeCredentials, saveCredentials} from './auth-file.js'
import type {Engine} from './engine.js'

/** The built-in client: every transfer is a copy between the session's stores. */
export class NativeEngine implements Engine {
  readonly name = 'native'

  constructor(
    readonly reason: string,
    private readonly oci: OciStores,
  ) {}

  warmUp(ref: Reference): void {
    this.oci.store(ref.location).warmUp?.()
  }

  /** The built artifact is held in a memory store and copied like any other artifact. */
  async push(ref: Reference, artifact: BuiltArtifact, listeners: CopyListeners): Promise<CopyStats> {
    const tag = ref.tag as string
    const source = new MemoryStore()
    source.addBlob(artifact.config.descriptor, artifact.config.data)
    source.addBlob(artifact.layer.descriptor, artifact.layer.data)
    source.addManifest(artifact.manifest, tag)
    const {blobs, transferred, skipped, mounted, bytesTransferred} = await copyArtifact(
      {store: source, repository: ref.repository, reference: tag},
      {store: this.oci.store(ref.location), repository: ref.repository},
      {concurrency: this.oci.settings.concurrency, tag, onEvent: listeners.onEvent, onBytes: listeners.onBytes},
    )
    return {blobs, transferred, skipped, mounted, bytesTransferred}
  }

  async copy(source: Reference, destination: Reference, request: CopyRequest): Promise<{digest: string; stats: CopyStats}> {
    const {descriptor, blobs, transferred, skipped, mounted, bytesTransferred, referrers} = await copyArtifact(
      {store: this.oci.store(source.location), repository: source.repository, reference: source.digest ?? (source.tag as string)},
      {store: this.oci.store(destination.location), repository: destination.repository},
      {concurrency: this.oci.settings.concurrency, tag: destination.tag, onEvent: request.onEvent, onBytes: request.onBytes, referrers: request.referrers},
    )
    return {digest: descriptor.digest, stats: {blobs, transferred, skipped, mounted, bytesTransferred, referrers}}
  }

  listTags(ref: Reference): Promise<string[]> {
    return this.oci.store(ref.location).listTags(ref.repository)
  }

  /** The credentials are verified against the registry first; nothing is saved when that fails. */
  async login(host: string, username: string, password: string): Promise<void> {
    const store = this.oci.remote(host, async () => ({kind: 'basic', username, password}))
    try {
      await store.client.verifyLogin()
    } catch (error) {
      // The generic hint ("log in with oci login") would send the user round in a circle.
      // A refusal to send the password in clear text is not a rejection: it says so itself.
      if (!(error instanceof AuthError) || error.details.cleartext) throw error
      throw new AuthError(`${host} rejected the credentials of "${username}"`, {
        hint: 'check the user name and password, then run the login again (nothing was saved)',
        details: {...error.details, registry: host, username, reason: error.message},
        cause: error,
      })
    }
    await saveCredentials(homePaths.authFile(this.oci.settings.home), host, username, password)
  }

  logout(host: string): Promise<{removed: boolean}> {
    return removeCredentials(homePaths.authFile(this.oci.settings.home), host)
  }

  delete(ref: Reference, digest: string): Promise<void> {
    return this.oci.store(ref.location).deleteManifest(ref.repository, digest)
  }

  /** The manifest is fetched once (verified) and put under each tag; its blobs are already there. */
  async tag(ref: Reference, tags: string[]): Promise<{digest: string}> {
    const store = this.oci.store(ref.location)
    const manifest = await store.fetchManifest(ref.repository, ref.digest ?? (ref.tag as string))
    for (const tag of tags) await store.pushManifest(ref.repository, manifest, tag)
    return {digest: manifest.descriptor.digest}
  }
}
