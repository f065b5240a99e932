import {copyFile, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {AuthError, IntegrityError, NotFoundError, RegistryError} from '../errors.js'
import {homePaths} from '../util/home.js'
import type {BuiltArtifact} from './artifact.js'
import {isBlobFile} from '../util/blob-body.js'
import {Annotation, MediaType} from './media-types.js'
import type {Location, Reference} from './reference.js'
import type {OciSettings} from './settings.js'
import {usesPlainHttp} from './transport-policy.js'

/** How oras names a target: `host/repo:tag` or, with --oci-layout, `PATH:tag`. */
export function orasTarget(ref: Reference): {name: string; layout: boolean} {
  const suffix = ref.digest ? `@${ref.digest}` : ref.tag ? `:${ref.tag}` : ''
  if (ref.location.kind === 'layout') return {name: `${path.join(ref.location.root, ref.repository)}${suffix}`, layout: true}
  return {name: `${ref.location.host}/${ref.repository}${suffix}`, layout: false}
}

/** oras's transport flags for one side: plain HTTP per host, by the native engine's rule (transport-policy). */
function transportFlags(settings: Pick<OciSettings, 'tlsEnabled' | 'insecure' | 'caFile' | 'home' | 'registry'>, location: Location, prefix = ''): string[] {
  if (location.kind === 'layout') return [`--${prefix}oci-layout`]
  const flags: string[] = []
  if (usesPlainHttp(location.host, settings)) flags.push(`--${prefix}plain-http`)
  if (settings.insecure) flags.push(`--${prefix}insecure`)
  if (settings.caFile) flags.push(`--${prefix}ca-file`, settings.caFile)
  return flags
}

function registryConfig(settings: Pick<OciSettings, 'home'>): string[] {
  return ['--registry-config', homePaths.authFile(settings.home)]
}

/**
 * Annotations as oras expects them (`$manifest` plus one entry per file), so that oras
 * builds byte-for-byte the manifest the native engine builds.
 */
export function orasAnnotations(artifact: BuiltArtifact): Record<string, Record<string, string>> {
  const manifest = JSON.parse(artifact.manifest.bytes.toString('utf8')) as {annotations?: Record<string, string>}
  const fileName = artifact.layer.descriptor.annotations?.[Annotation.title] ?? 'extension.tar.gz'
  return {$manifest: manifest.annotations ?? {}, [fileName]: {}}
}

export function orasPushArgs(ref: Reference, settings: OciSettings, files: {config: string; layer: string; annotations: string}): string[] {
  const {name, layout} = orasTarget(ref)
  return [
    'push', name,
    '--artifact-type', MediaType.extensionArtifact,
    '--config', `${files.config}:${MediaType.extensionConfig}`,
    '--annotation-file', files.annotations,
    '--disable-path-validation',
    ...transportFlags(settings, ref.location),
    ...(layout ? [] : registryConfig(settings)),
    '--format', 'json',
    `${path.basename(files.layer)}:${MediaType.layerTarGzip}`,
  ]
}

export function orasPullArgs(ref: Reference, settings: OciSettings, outputDir: string): string[] {
  const {name, layout} = orasTarget(ref)
  return ['pull', name, '--output', outputDir, ...transportFlags(settings, ref.location), ...(layout ? [] : registryConfig(settings)), '--format', 'json']
}

export function orasCopyArgs(source: Reference, destination: Reference, settings: OciSettings, concurrency: number): string[] {
  const from = orasTarget(source)
  const to = orasTarget(destination)
  return ['cp', from.name, to.name, ...transportFlags(settings, source.location, 'from-'), ...transportFlags(settings, destination.location, 'to-'), ...registryConfig(settings), '--concurrency', String(concurrency)]
}

export function orasTagsArgs(ref: Reference, settings: OciSettings): string[] {
  const {name, layout} = orasTarget({...ref, tag: undefined, digest: undefined})
  return ['repo', 'tags', name, ...transportFlags(settings, ref.location), ...(layout ? [] : registryConfig(settings))]
}

export function orasLoginArgs(host: string, username: string, settings: OciSettings): string[] {
  return ['login', host, '--username', username, '--password-stdin', ...transportFlags(settings, {kind: 'remote', host}), ...registryConfig(settings)]
}

export function orasDeleteArgs(ref: Reference, settings: OciSettings): string[] {
  const {name, layout} = orasTarget(ref)
  return ['manifest', 'delete', name, '--force', ...transportFlags(settings, ref.location), ...(layout ? [] : registryConfig(settings))]
}

/** oras ≥1.2 prints one JSON object with --format json; older ones print "Digest: sha256:…". */
export function parseOrasPush(stdout: string): {digest: string; reference?: string} {
  const start = stdout.indexOf('{')
  if (start >= 0) {
    try {
      const data = JSON.parse(stdout.slice(start)) as {digest?: string; reference?: string}
      if (data.digest) return {digest: data.digest, reference: data.reference}
    } catch {
      // fall through to the text form
    }
  }
  const digest = /Digest:\s*(sha256:[a-f0-9]{64})/.exec(stdout)?.[1]
  if (!digest) throw new RegistryError('could not read the digest from the oras output', {hint: 'check the oras version (1.2 or newer is supported)', details: {output: stdout.slice(0, 500)}})
  return {digest}
}

export function parseOrasPull(stdout: string): {files: Array<{path: string; digest?: string}>; reference?: string} {
  const start = stdout.indexOf('{')
  if (start < 0) return {files: []}
  const data = JSON.parse(stdout.slice(start)) as {files?: Array<{path: string; digest?: string}>; reference?: string}
  return {files: data.files ?? [], reference: data.reference}
}

export function parseOrasTags(stdout: string): string[] {
  return stdout.split('\n').map((line) => line.trim()).filter(Boolean)
}

/** Maps an oras failure to the error classes (and exit codes) of SPEC §3. */
export function orasFailure(action: string, stderr: string): Error {
  const text = stderr.trim().split('\n').slice(-3).join(' ')
  if (/unauthorized|authentication required|401|denied|403/i.test(text)) return new AuthError(`oras ${action}: ${text}`, {hint: 'log in with "provisioning oci login REGISTRY"'})
  if (/not found|404|MANIFEST_UNKNOWN|NAME_UNKNOWN/i.test(text)) return new NotFoundError(`oras ${action}: ${text}`, {hint: 'check the name and version'})
  if (/digest|mismatch/i.test(text)) return new IntegrityError(`oras ${action}: ${text}`, {hint: 'the content is corrupted; re-push it from a trusted source'})
  return new RegistryError(`oras ${action}: ${text || 'failed'}`, {hint: 'run with --verbose, or set oci.tool = native to use the built-in client'})
}

/** Runs oras; stdin carries a password for login, never argv. */
export async function runOras(orasPath: string, args: string[], options: {cwd?: string; input?: string} = {}): Promise<string> {
  const {execa} = await import('execa')
  const result = await execa(orasPath, args, {cwd: options.cwd, input: options.input ?? '', reject: false, timeout: 30 * 60_000})
  if (result.exitCode !== 0) throw orasFailure(args[0] === 'repo' ? 'repo tags' : args[0], String(result.stderr))
  return String(result.stdout)
}

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
    const {digest} = parseOrasPush(await runOras(orasPath, orasPushArgs(ref, settings, files), {cwd: dir}))
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

/** Pulls the layer file with oras into a temp folder and returns its bytes. */
export async function orasPullLayer(orasPath: string, ref: Reference, settings: OciSettings): Promise<{fileName: string; data: Buffer}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'provisioning-oras-'))
  try {
    const {files} = parseOrasPull(await runOras(orasPath, orasPullArgs(ref, settings, dir)))
    const file = files.find((f) => f.path.endsWith('.tar.gz')) ?? files[0]
    if (!file) throw new NotFoundError(`oras pulled no file for ${ref.repository}`, {hint: 'the artifact has no titled layer'})
    const full = path.isAbsolute(file.path) ? file.path : path.join(dir, file.path)
    return {fileName: path.basename(full), data: await readFile(full)}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

