import path from 'node:path'

import {AuthError, IntegrityError, NotFoundError, RegistryError} from '../../errors.js'
import {homePaths} from '../../util/home.js'
import type {BuiltArtifact} from '../../artifact/artifact.js'
import {Annotation, MediaType} from '../media-types.js'
import type {Location, Reference} from '../reference.js'
import type {OciSettings} from '../settings.js'
import {isLoopbackHost, usesPlainHttp} from '../transport-policy.js'

/** How oras names a target: `host/repo:tag` or, with --oci-layout, `PATH:tag`. */
function orasTarget(ref: Reference): {name: string; layout: boolean} {
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
 * The stored credentials for the remote sides, by the native client's clear-text rule
 * (transport/cleartext.ts): never to a host reached over plain HTTP that is not loopback.
 * oras would send them in clear text; it goes without them there (anonymous access).
 */
function credentialFlags(settings: Pick<OciSettings, 'home' | 'tlsEnabled' | 'registry'>, ...locations: Location[]): string[] {
  const remote = locations.filter((l): l is Extract<Location, {kind: 'remote'}> => l.kind === 'remote')
  if (remote.length === 0) return []
  if (remote.some((l) => usesPlainHttp(l.host, settings) && !isLoopbackHost(l.host))) return []
  return registryConfig(settings)
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
  const {name} = orasTarget(ref)
  return [
    'push',
    name,
    '--artifact-type',
    MediaType.extensionArtifact,
    '--config',
    `${files.config}:${MediaType.extensionConfig}`,
    '--annotation-file',
    files.annotations,
    '--disable-path-validation',
    ...transportFlags(settings, ref.location),
    ...credentialFlags(settings, ref.location),
    '--format',
    'json',
    `${path.basename(files.layer)}:${MediaType.layerTarGzip}`,
  ]
}

export function orasPullArgs(ref: Reference, settings: OciSettings, outputDir: string): string[] {
  const {name} = orasTarget(ref)
  return ['pull', name, '--output', outputDir, ...transportFlags(settings, ref.location), ...credentialFlags(settings, ref.location), '--format', 'json']
}

/** `referrers`: `--recursive`, oras's copy of the referrers (signatures…) along with the artifact. */
export function orasCopyArgs(source: Reference, destination: Reference, settings: OciSettings, concurrency: number, referrers = false): string[] {
  const from = orasTarget(source)
  const to = orasTarget(destination)
  return [
    'cp',
    from.name,
    to.name,
    ...transportFlags(settings, source.location, 'from-'),
    ...transportFlags(settings, destination.location, 'to-'),
    ...credentialFlags(settings, source.location, destination.location),
    '--concurrency',
    String(concurrency),
    ...(referrers ? ['--recursive'] : []),
  ]
}

export function orasTagsArgs(ref: Reference, settings: OciSettings): string[] {
  const {name} = orasTarget({...ref, tag: undefined, digest: undefined})
  return ['repo', 'tags', name, ...transportFlags(settings, ref.location), ...credentialFlags(settings, ref.location)]
}

export function orasLoginArgs(host: string, username: string, settings: OciSettings): string[] {
  return ['login', host, '--username', username, '--password-stdin', ...transportFlags(settings, {kind: 'remote', host}), ...registryConfig(settings)]
}

export function orasDeleteArgs(ref: Reference, settings: OciSettings): string[] {
  const {name} = orasTarget(ref)
  return ['manifest', 'delete', name, '--force', ...transportFlags(settings, ref.location), ...credentialFlags(settings, ref.location)]
}

/** `oras tag SOURCE NEWTAG...`: SOURCE names the manifest by tag or digest. */
export function orasTagArgs(ref: Reference, tags: string[], settings: OciSettings): string[] {
  const {name} = orasTarget(ref)
  return ['tag', name, ...tags, ...transportFlags(settings, ref.location), ...credentialFlags(settings, ref.location)]
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
  if (!digest)
    throw new RegistryError('could not read the digest from the oras output', {
      hint: 'check the oras version (1.2 or newer is supported)',
      details: {output: stdout.slice(0, 500)},
    })
  return {digest}
}

export function parseOrasPull(stdout: string): {files: Array<{path: string; digest?: string}>; reference?: string} {
  const start = stdout.indexOf('{')
  if (start < 0) return {files: []}
  const data = JSON.parse(stdout.slice(start)) as {files?: Array<{path: string; digest?: string}>; reference?: string}
  return {files: data.files ?? [], reference: data.reference}
}

export function parseOrasTags(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
}

/** Maps an oras failure to the error classes (and exit codes) of SPEC §3. */
export function orasFailure(action: string, stderr: string): Error {
  const text = stderr.trim().split('\n').slice(-3).join(' ')
  if (/unauthorized|authentication required|401|denied|403/i.test(text))
    return new AuthError(`oras ${action}: ${text}`, {hint: 'log in with "provisioning oci login REGISTRY"'})
  if (/not found|404|MANIFEST_UNKNOWN|NAME_UNKNOWN/i.test(text)) return new NotFoundError(`oras ${action}: ${text}`, {hint: 'check the name and version'})
  if (/digest|mismatch/i.test(text)) return new IntegrityError(`oras ${action}: ${text}`, {hint: 'the content is corrupted; re-push it from a trusted source'})
  return new RegistryError(`oras ${action}: ${text || 'failed'}`, {hint: 'run with --verbose, or set oci.tool = native to use the built-in client'})
}

/** Runs oras; stdin carries a password for login, never argv; `env` (the proxy variables) overrides the inherited environment. */
export async function runOras(
  orasPath: string,
  args: string[],
  options: {cwd?: string; input?: string; env?: Record<string, string | undefined>} = {},
): Promise<string> {
  const {execa} = await import('execa')
  const result = await execa(orasPath, args, {cwd: options.cwd, input: options.input ?? '', env: options.env, reject: false, timeout: 30 * 60_000})
  // Two-word commands (`repo tags`, `manifest delete`) are named whole in the error.
  if (result.exitCode !== 0) throw orasFailure(args[0] === 'repo' || args[0] === 'manifest' ? args.slice(0, 2).join(' ') : args[0], String(result.stderr))
  return String(result.stdout)
}
