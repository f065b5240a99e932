import {copyFile, lstat, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {IntegrityError, NotFoundError} from '../../errors.js'
import {homePaths} from '../../util/home.js'
import type {ResolvedArtifact} from '../../artifact/artifact-reader.js'
import type {BuiltArtifact} from '../../artifact/artifact.js'
import {isBlobFile} from '../../util/blob-body.js'
import type {OciStores} from '../stores.js'
import type {CopyRequest} from '../copy.js'
import {Annotation, type Descriptor} from '../media-types.js'
import type {Reference} from '../reference.js'
import type {OciSettings} from '../settings.js'
import {cleartextRefusal} from '../transport/cleartext.js'
import {proxyVariables} from '../transport/proxy.js'
import {isLoopbackHost, usesPlainHttp} from '../transport-policy.js'
import {removeCredentials} from './auth-file.js'
import type {Engine} from './engine.js'
import {
  orasAnnotations,
  orasCopyArgs,
  orasDeleteArgs,
  orasLoginArgs,
  orasPullArgs,
  orasPushArgs,
  orasTagArgs,
  orasTagsArgs,
  parseOrasPull,
  parseOrasPush,
  parseOrasTags,
  runOras,
} from './oras-cli.js'

/** Pushes a built artifact with oras and checks oras produced the same manifest. */
export async function orasPush(orasPath: string, ref: Reference, artifact: BuiltArtifact, settings: OciSettings): Promise<{digest: string}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'provisioning-oras-'))
  try {
    const layerName = artifact.layer.descriptor.annotations?.[Annotation.title] ?? 'extension.tar.gz'
    const files = {config: path.join(dir, 'config.json'), layer: path.join(dir, layerName), annotations: path.join(dir, 'annotations.json')}
    await writeFile(files.config, artifact.config.data)
    const layer = artifact.layer.data
    if (isBlobFile(layer)) await copyFile(layer.file, files.layer)
    else await writeFile(files.layer, layer)
    await writeFile(files.annotations, JSON.stringify(orasAnnotations(artifact)))
    const {digest} = parseOrasPush(await runOras(orasPath, orasPushArgs(ref, settings, files), {cwd: dir, env: proxyVariables(settings.env)}))
    if (digest !== artifact.manifest.descriptor.digest) {
      throw new IntegrityError(`oras produced manifest ${digest}, the native engine ${artifact.manifest.descriptor.digest}`, {
        hint: 'this oras version builds manifests differently; set oci.tool = native for reproducible digests',
        details: {oras: digest, native: artifact.manifest.descriptor.digest},
      })
    }
    return {digest}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/**
 * Pulls the layer file with oras into a temp folder and returns its bytes. oras reports the
 * file's path itself: one outside the temp folder, or a file of another size than the
 * manifest declared, is refused before it is read (the caller checked the declared size).
 */
async function orasPullLayer(orasPath: string, ref: Reference, settings: OciSettings, layer: Descriptor): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'provisioning-oras-'))
  try {
    const {files} = parseOrasPull(await runOras(orasPath, orasPullArgs(ref, settings, dir), {env: proxyVariables(settings.env)}))
    const file = files.find((f) => f.path.endsWith('.tar.gz')) ?? files[0]
    if (!file) throw new NotFoundError(`oras pulled no file for ${ref.repository}`, {hint: 'the artifact has no titled layer'})
    const full = path.resolve(dir, file.path)
    if (path.relative(dir, full).startsWith('..') || path.relative(dir, full) === '') {
      throw new IntegrityError(`oras reported the layer of ${ref.repository} at ${file.path}, outside its download folder`, {
        hint: 'check the oras binary on PATH',
      })
    }
    const info = await lstat(full)
    if (!info.isFile() || info.size !== layer.size) {
      throw new IntegrityError(
        `oras pulled ${info.isFile() ? `${info.size} bytes` : 'something that is not a file'} for the layer of ${ref.repository}; its manifest declares ${layer.size}`,
        {
          hint: 'pull it again; if it persists, the registry serves other content than its manifest says',
        },
      )
    }
    return await readFile(full)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/**
 * The oras binary moves the artifacts; manifests are still resolved by the native client
 * (a digest for the result, or to pin a tag before acting on it), as oras prints none.
 */
export class OrasEngine implements Engine {
  readonly name = 'oras'
  private readonly settings: OciSettings

  constructor(
    readonly binary: string,
    readonly reason: string,
    private readonly oci: OciStores,
  ) {
    this.settings = oci.settings
  }

  warmUp(): void {
    // oras opens its own connections.
  }

  /** oras reads HTTP(S)_PROXY and NO_PROXY itself: the ones the config was loaded with. */
  private get proxyEnv(): Record<string, string | undefined> {
    return proxyVariables(this.settings.env)
  }

  async push(ref: Reference, artifact: BuiltArtifact): Promise<Record<string, never>> {
    await orasPush(this.binary, ref, artifact, this.settings)
    return {}
  }

  async fetchLayer(artifact: ResolvedArtifact, layer: Descriptor): Promise<Buffer> {
    return orasPullLayer(this.binary, artifact.ref, this.settings, layer)
  }

  async copy(source: Reference, destination: Reference, request: CopyRequest): Promise<{digest: string}> {
    await runOras(this.binary, orasCopyArgs(source, destination, this.settings, this.settings.concurrency, request.referrers), {env: this.proxyEnv})
    const descriptor = await this.oci.store(destination.location).resolve(destination.repository, destination.tag ?? destination.digest ?? '')
    return {digest: descriptor.digest}
  }

  async listTags(ref: Reference): Promise<string[]> {
    return parseOrasTags(await runOras(this.binary, orasTagsArgs(ref, this.settings), {env: this.proxyEnv}))
  }

  /** oras verifies the credentials and writes auth.json itself (--registry-config). */
  async login(host: string, username: string, password: string): Promise<void> {
    // oras would send the password in clear text: refused as the native client refuses it.
    if (usesPlainHttp(host, this.settings) && !isLoopbackHost(host)) throw cleartextRefusal(host, `login to ${host}`)
    await runOras(this.binary, orasLoginArgs(host, username, this.settings), {input: password, env: this.proxyEnv})
  }

  /**
   * Both engines keep credentials in the same auth.json, so logout is the native file edit:
   * `oras logout` does not say whether there was an entry, which the result reports.
   */
  logout(host: string): Promise<{removed: boolean}> {
    return removeCredentials(homePaths.authFile(this.settings.home), host)
  }

  async delete(ref: Reference, digest: string): Promise<void> {
    await runOras(this.binary, orasDeleteArgs({...ref, tag: undefined, digest}, this.settings), {env: this.proxyEnv})
  }

  /** Tags by digest: the digest reported is the one that was tagged, even if the source tag moves meanwhile. */
  async tag(ref: Reference, tags: string[]): Promise<{digest: string}> {
    const {digest} = await this.oci.store(ref.location).resolve(ref.repository, ref.digest ?? (ref.tag as string))
    await runOras(this.binary, orasTagArgs({...ref, tag: undefined, digest}, tags, this.settings), {env: this.proxyEnv})
    return {digest}
  }
}
