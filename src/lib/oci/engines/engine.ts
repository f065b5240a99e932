import type {ResolvedArtifact} from '../../artifact/artifact-reader.js'
import type {BuiltArtifact} from '../../artifact/artifact.js'
import type {CopyListeners, CopyRequest, CopyStats} from '../copy.js'
import type {Descriptor} from '../media-types.js'
import type {Reference} from '../reference.js'
import type {EngineName} from '../settings.js'

/**
 * What moves artifacts for one session (SPEC §8.3): the built-in client or the oras binary.
 * The ops around it (validation, packaging, the repository indexes, result shaping) are the same
 * for both; only the transfers differ.
 */
export interface Engine {
  readonly name: EngineName
  /** Why this engine runs, as `oci config` says it. */
  readonly reason: string
  /** The external program the engine runs, if any (reported by `oci config`). */
  readonly binary?: string
  /** Starts connecting to where `ref` lives while the caller is still busy (packaging). */
  warmUp(ref: Reference): void
  /** Pushes a built artifact under `ref` (its tag); statistics when the engine counts them. */
  push(ref: Reference, artifact: BuiltArtifact, listeners: CopyListeners): Promise<Partial<CopyStats>>
  /**
   * A layer of a resolved artifact, whole, by the engine's own transport; the caller verifies
   * it against `layer` and caches it. Without it (native), pull reads the layer from the
   * artifact's store through the layer pipeline (artifact/install-layer.ts), streaming large ones.
   */
  fetchLayer?(artifact: ResolvedArtifact, layer: Descriptor): Promise<Buffer>
  /**
   * Copies `source` to `destination` (tag or digest given), with its referrers when
   * `request.referrers`; returns the destination manifest's digest.
   */
  copy(source: Reference, destination: Reference, request: CopyRequest): Promise<{digest: string; stats?: CopyStats}>
  /** Tags of a repository, unsorted. */
  listTags(ref: Reference): Promise<string[]>
  /** Verifies the credentials against `host` and stores them in auth.json; nothing is stored on failure. */
  login(host: string, username: string, password: string): Promise<void>
  /** Removes the host's entry from auth.json; says whether there was one. */
  logout(host: string): Promise<{removed: boolean}>
  /** Deletes the manifest `digest` (and so every tag on it) from the repository of `ref`. */
  delete(ref: Reference, digest: string): Promise<void>
  /** Puts the manifest `ref` names (tag or digest) under each of `tags`; returns its digest. */
  tag(ref: Reference, tags: string[]): Promise<{digest: string}>
}
