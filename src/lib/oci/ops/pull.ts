import {readdirSync} from 'node:fs'
import pLimit from 'p-limit'
import path from 'node:path'

import {IntegrityError, UsageError} from '../../errors.js'
import {isExtensionName} from '../../extension/names.js'
import type {CopyOptions} from '../copy.js'
import type {FetchedLayer, LayerOptions, LayerSource} from '../../artifact/install-layer.js'
import {artifactName, formatReference} from '../reference.js'
import {extensionLayer, readArtifact, readExtensionConfig, type ResolvedArtifact} from '../../artifact/artifact-reader.js'
import {Annotation, type Descriptor, MediaType} from '../media-types.js'
import {TrustGate} from '../../signing/enforce.js'
import {type OciOperationOptions, type OciSession, withSession} from './session.js'

function layerSource(artifact: ResolvedArtifact, layer: Descriptor): LayerSource {
  return {store: artifact.store, repository: artifact.ref.repository, layer, what: `layer of ${formatReference(artifact.ref)}`}
}

/**
 * A small layer goes to the cache as it is unpacked; with oras, the layer is taken whole
 * from oras (through the cache), never streamed.
 */
function pullLayerOptions(engine: OciSession['engine'], artifact: ResolvedArtifact, layer: Descriptor): LayerOptions {
  const fetchLayer = engine.fetchLayer?.bind(engine)
  return {cacheWhenUnpacked: true, ...(fetchLayer ? {fetch: () => fetchLayer(artifact, layer)} : {})}
}

/** Entries of a folder ([] when missing); synchronous, as one quick metadata call. */
function listFolder(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

export interface PullOptions extends OciOperationOptions {
  reference: string
  /** Folder to extract into (default: ./<name>). */
  output?: string
  /** Replace a non-empty output folder. */
  overwrite?: boolean
  /** Bytes received so far of a large layer streamed from a registry. */
  onBytes?: CopyOptions['onBytes']
}

export interface PullResult {
  reference: string
  digest: string
  name: string
  version?: string
  output: string
  files: number
  bytes: number
  cached: boolean
  engine: string
}

interface PullTarget {
  reference: string
  /** The folder to unpack into, or (with `into`) the parent of ./NAME. */
  output?: string
  into?: boolean
  overwrite?: boolean
  onBytes?: CopyOptions['onBytes']
}

/** `oci pull`: verified manifest and layer (through the cache), safely extracted. */
export async function pullExtension(options: PullOptions): Promise<PullResult> {
  return withSession({...options, workspaceSource: 'required'}, async (session) => pullOne(session, await trustGateOf(options, session), options))
}

/**
 * `oci pull REF...`: many extensions in one process (one session, up to oci.concurrency
 * at a time), each into `<output>/<name>` (default: the current folder); two references
 * for one folder are refused before anything is fetched.
 */
export async function pullExtensions(
  options: OciOperationOptions & Pick<PullOptions, 'output' | 'overwrite' | 'onBytes'> & {references: string[]},
): Promise<{pulled: PullResult[]}> {
  return withSession({...options, workspaceSource: 'required'}, async (session) => {
    const limit = pLimit(Math.max(1, session.settings.concurrency))
    const trust = await trustGateOf(options, session)
    // Every folder is known (manifests only, their signatures checked) before the first layer is fetched or written.
    const located = await Promise.all(
      options.references.map((reference) => limit(() => locatePull(session, trust, {reference, output: options.output, into: true}, {prefetch: false}))),
    )
    assertDistinctOutputs(located, options.references)
    if (!options.overwrite) assertEmptyOutputs(located.map((l) => l.output))
    const pulled = await Promise.all(located.map((l) => limit(() => unpackLocated(session, l, options))))
    return {pulled}
  })
}

/**
 * Extraction (node-tar's parser, zlib streams: ~20 ms of module loading) is imported when
 * a pull starts, not when the command loads: it compiles while the first requests wait
 * on the registry.
 */
let unpacking: Promise<typeof import('../../artifact/install-layer.js')> | undefined
function loadUnpacking() {
  if (!unpacking) {
    unpacking = import('../../artifact/install-layer.js')
    unpacking.catch(() => undefined) // awaited by every pull; never unhandled meanwhile
  }
  return unpacking
}

/**
 * The extension's name (it names the output folder) and version. Our artifacts carry both
 * as manifest annotations, which saves fetching the config blob (a third request per
 * artifact); others are read from the config, or the repository name as a last resort.
 */
async function extensionIdentity(oci: OciSession['oci'], artifact: ResolvedArtifact): Promise<{name: string; version?: string}> {
  const annotations = artifact.image.annotations ?? {}
  const title = annotations[Annotation.title]
  const annotatedVersion = annotations[Annotation.version]
  if (artifact.image.artifactType === MediaType.extensionArtifact && isExtensionName(title) && isVersionLabel(annotatedVersion))
    return {name: title, version: annotatedVersion}
  const config = await readExtensionConfig(artifact)
  const version = typeof config?.version === 'string' ? config.version : undefined
  if (config?.name === undefined) return {name: fallbackName(artifact), version}
  // The name becomes a folder under the output: "../x" or "/etc" must never get there.
  if (!isExtensionName(config.name)) {
    throw new IntegrityError(`${formatReference(artifact.ref)} names itself ${JSON.stringify(config.name)}, which is not a valid extension name`, {
      hint: 'the artifact is malformed or hostile; nothing was written. Re-push it from its extension folder',
      details: {reference: formatReference(artifact.ref), name: config.name},
    })
  }
  return {name: config.name, version}
}

/** A version as a tag could carry it (it is only reported, but never as arbitrary text). */
function isVersionLabel(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}$/.test(value)
}

/**
 * Without a name in the artifact: the repository's last part, or for a layout reference
 * (no repository) the layout folder's name; never "" or "..", which would make the
 * output folder the current folder or its parent.
 */
function fallbackName(artifact: ResolvedArtifact): string {
  const candidate = artifactName(artifact.ref)
  return isExtensionName(candidate) ? candidate : 'extension'
}

/** An artifact whose layer, name and output folder are known; nothing unpacked yet. */
interface LocatedPull {
  artifact: ResolvedArtifact
  layer: Descriptor
  name: string
  version?: string
  output: string
  /** A small layer fetched (verified, in memory) while the config was read. */
  early?: Promise<FetchedLayer>
}

/** The run's trust policy (signing/enforce.ts): checked on each manifest before its layer is fetched. */
async function trustGateOf(options: OciOperationOptions, session: OciSession): Promise<TrustGate> {
  return TrustGate.fromConfig(await options.config(), session.settings.cacheDir)
}

async function pullOne(session: OciSession, trust: TrustGate, options: PullTarget): Promise<PullResult> {
  const located = await locatePull(session, trust, options, {prefetch: true})
  if (!options.overwrite) assertEmptyOutputs([located.output])
  return unpackLocated(session, located, options)
}

/** Output folders that hold something; replacing them needs --yes (or a yes at the prompt). */
export class OutputNotEmptyError extends UsageError {
  constructor(readonly outputs: string[]) {
    super(`${outputs.join(', ')} ${outputs.length === 1 ? 'exists and is not empty' : 'exist and are not empty'}`, {
      hint: 'pass --yes to replace (required without a terminal), or --output DIR for another folder',
      details: {outputs},
    })
  }
}

function assertEmptyOutputs(outputs: string[]): void {
  const occupied = outputs.filter((output) => listFolder(output).length > 0)
  if (occupied.length > 0) throw new OutputNotEmptyError(occupied)
}

/**
 * Two references of a batch that would unpack into the same folder (two versions of one
 * extension, or one reference twice) are refused before any layer is fetched: the last
 * one would silently win.
 */
function assertDistinctOutputs(located: LocatedPull[], references: string[]): void {
  const byOutput = new Map<string, string[]>()
  for (const [i, {output}] of located.entries()) byOutput.set(output, [...(byOutput.get(output) ?? []), references[i]])
  const clashes = [...byOutput].filter(([, refs]) => refs.length > 1)
  if (clashes.length === 0) return
  throw new UsageError(`${clashes.map(([output, refs]) => `${refs.join(' and ')} would both unpack into ${output}`).join('; ')}; nothing was pulled`, {
    hint: 'pull one version per folder: run oci pull once per version with its own --output DIR',
    details: {clashes: Object.fromEntries(clashes)},
  })
}

/**
 * Resolves the manifest and names the output folder; with `prefetch`, a small layer is
 * fetched (verified, in memory) meanwhile: one round trip less per artifact.
 */
async function locatePull({settings, engine, oci}: OciSession, trust: TrustGate, options: PullTarget, {prefetch}: {prefetch: boolean}): Promise<LocatedPull> {
  const modules = loadUnpacking()
  const artifact = await readArtifact(oci, oci.parse(options.reference))
  const {location, repository} = artifact.ref
  await trust.check({location, repository, reference: formatReference(artifact.ref)}, artifact.store, artifact.manifest.descriptor)
  const layer = extensionLayer(artifact)
  const {assertLayerFits, fetchLayer, isLargeLayer} = await modules
  const layerOptions = pullLayerOptions(engine, artifact, layer)
  const streamed = isLargeLayer(layer, layerOptions)
  // A layer claiming more than an extension may unpack to is refused before any blob (the
  // config included) is requested, as dep resolve's cache fill does: it could never be
  // unpacked, and fetching it (streamed, or whole by an engine such as oras) would fill the
  // disk or the memory first.
  assertLayerFits(layerSource(artifact, layer))
  // A small layer is fetched (verified) while the config is read. A streamed one needs the
  // output folder first, which the config names.
  const early = streamed || !prefetch ? undefined : fetchLayer(layerSource(artifact, layer), layerOptions)
  early?.catch(() => undefined) // awaited when unpacking; a failure must not go unhandled meanwhile
  const {name, version} = await extensionIdentity(oci, artifact)
  const output = options.into ? path.resolve(settings.cwd, options.output ?? '.', name) : path.resolve(settings.cwd, options.output ?? name)
  return {artifact, layer, name, version, output, early}
}

/** Fetches (or takes from the cache) the located layer and unpacks it into its folder. */
async function unpackLocated(
  {engine}: OciSession,
  {artifact, layer, name, version, output, early}: LocatedPull,
  {onBytes}: Pick<PullTarget, 'onBytes'>,
): Promise<PullResult> {
  const {installLayer} = await loadUnpacking()
  const {extracted, cached} = await installLayer(layerSource(artifact, layer), output, {
    ...pullLayerOptions(engine, artifact, layer),
    fetched: early,
    onBytes: onBytes && ((received) => onBytes(layer, received)),
  })
  const {files, bytes} = extracted
  return {
    reference: formatReference(artifact.ref),
    digest: artifact.manifest.descriptor.digest,
    name,
    version: version ?? artifact.ref.tag,
    output,
    files: Array.isArray(files) ? files.length : Number(files),
    bytes,
    cached,
    engine: engine.name,
  }
}
