import {execa} from 'execa'

import type {Credentials, RegistryHandle} from './registry.js'

/** Per-side (source or destination) options for a docker:// reference. */
export interface SkopeoSide {
  /** false: accept plain HTTP and unverified certificates. */
  tlsVerify?: boolean
  creds?: Credentials | string
  /** A folder holding ca.crt (RegistryHandle.certDir). */
  certDir?: string
}

export interface SkopeoCopyOptions {
  src?: SkopeoSide
  dest?: SkopeoSide
  /** Extra arguments for `skopeo copy` (e.g. ['--all'], ['--preserve-digests']). */
  args?: string[]
}

/** Side options that reach this registry: TLS verified through its CA, or plain HTTP; its user. */
export function skopeoSide(registry: RegistryHandle, creds: Credentials | false | undefined = registry.auth): SkopeoSide {
  return {
    tlsVerify: registry.certDir !== undefined,
    certDir: registry.certDir,
    creds: creds || undefined,
  }
}

function sideFlags(side: SkopeoSide | undefined, prefix: string): string[] {
  if (!side) return []
  const flags: string[] = []
  if (side.tlsVerify !== undefined) flags.push(`--${prefix}tls-verify=${side.tlsVerify}`)
  if (side.certDir) flags.push(`--${prefix}cert-dir`, side.certDir)
  if (side.creds) {
    const creds = typeof side.creds === 'string' ? side.creds : `${side.creds.username}:${side.creds.password}`
    flags.push(`--${prefix}creds`, creds)
  }
  return flags
}

/** Runs skopeo; returns stdout, throws with the command and stderr when it fails. */
export async function skopeo(args: string[]): Promise<string> {
  const result = await execa('skopeo', ['--insecure-policy', ...args], {reject: false, timeout: 60_000})
  if (result.exitCode !== 0) {
    throw new Error(`skopeo ${args.join(' ')} failed (exit ${result.exitCode}):\n${result.stderr}`)
  }
  return result.stdout
}

/** `skopeo inspect --raw REF`: the manifest exactly as the registry serves it. */
export function skopeoInspectRaw(ref: string, side: SkopeoSide = {tlsVerify: false}): Promise<string> {
  return skopeo(['inspect', '--raw', ...sideFlags(side, ''), ref])
}

/** `skopeo copy SRC DST` (e.g. oci:DIR:tag ↔ docker://host/ns/name:tag). */
export function skopeoCopy(src: string, dst: string, options: SkopeoCopyOptions = {}): Promise<string> {
  return skopeo(['copy', ...sideFlags(options.src, 'src-'), ...sideFlags(options.dest, 'dest-'), ...(options.args ?? []), src, dst])
}

/** `skopeo list-tags docker://host/ns/name`, parsed. */
export async function skopeoListTags(ref: string, side: SkopeoSide = {tlsVerify: false}): Promise<string[]> {
  const out = JSON.parse(await skopeo(['list-tags', ...sideFlags(side, ''), ref])) as {Tags: string[]}
  return out.Tags
}

/** `skopeo delete docker://host/ns/name:tag`. */
export async function skopeoDelete(ref: string, side: SkopeoSide = {tlsVerify: false}): Promise<void> {
  await skopeo(['delete', ...sideFlags(side, ''), ref])
}
