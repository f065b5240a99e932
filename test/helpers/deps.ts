import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {execa, type ResultPromise} from 'execa'
import YAML from 'yaml'

import {cliBin, type CliResult, repoRoot, runCli} from './cli.js'
import {readFiles, type TreeEntry} from './tree.js'

/** Helpers for the `dep resolve` end-to-end tests (test/e2e/dep-*.test.ts). */

export const EXAMPLES = path.join(repoRoot, 'templates', 'examples')
export const GROUPS = ['providers', 'taskservs', 'clusters'] as const

/** templates/examples/<type>s/<name>/<version> */
export const exampleDir = (group: string, name: string, version: string) => path.join(EXAMPLES, group, name, version)

/** Every version folder of the example catalog. */
export async function exampleDirs(root = EXAMPLES): Promise<string[]> {
  const dirs: string[] = []
  for (const group of GROUPS) {
    for (const name of (await readdir(path.join(root, group)).catch(() => [] as string[])).sort()) {
      for (const version of (await readdir(path.join(root, group, name))).sort()) dirs.push(path.join(root, group, name, version))
    }
  }
  return dirs
}

/** `oci push DIR...` in one process; throws with the CLI's stderr when it fails. */
export async function publish(registryHost: string, env: Record<string, string>, dirs: string[]): Promise<void> {
  const result = await runCli(['oci', 'push', ...dirs, '--json'], {env: {...env, PROVISIONING_OCI__REGISTRY: registryHost}})
  if (result.exitCode !== 0) throw new Error(`oci push failed (${result.exitCode}): ${result.stdout}\n${result.stderr}`)
}

/** `generate extension taskserv NAME`, then manifest fields replaced (e.g. dependencies). */
export async function generateExtension(env: Record<string, string>, dir: string, name: string, fields: Record<string, unknown> = {}): Promise<void> {
  const result = await runCli(['generate', 'extension', 'taskserv', name, '--path', dir], {env})
  if (result.exitCode !== 0) throw new Error(`generate extension failed: ${result.stderr}`)
  const file = path.join(dir, 'manifest.yaml')
  const manifest = YAML.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  await writeFile(file, YAML.stringify({...manifest, ...fields}))
}

/**
 * A workspace folder without the CLI (`workspace init` costs a process start-up): what
 * discovery needs (config/provisioning.yaml) and the extension folders init would create.
 */
export async function bareWorkspace(root: string, name: string): Promise<string> {
  const ws = path.join(root, name)
  for (const group of GROUPS) await mkdir(path.join(ws, 'extensions', group), {recursive: true})
  await mkdir(path.join(ws, 'config'), {recursive: true})
  await writeFile(path.join(ws, 'config', 'provisioning.yaml'), YAML.stringify({workspace: {name}}))
  return ws
}

/** A valid extension folder written directly: manifest.yaml plus `files` (relative path -> content). */
export async function writeExtension(
  dir: string,
  manifest: {name: string; version: string; [key: string]: unknown},
  files: Record<string, string | Buffer> = {},
): Promise<void> {
  await mkdir(dir, {recursive: true})
  await writeFile(
    path.join(dir, 'manifest.yaml'),
    YAML.stringify({type: 'taskserv', description: `${manifest.name} for tests`, license: 'Apache-2.0', ...manifest}),
  )
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), {recursive: true})
    await writeFile(path.join(dir, rel), content)
  }
}

export interface Modules {
  providers?: unknown[]
  taskservs?: unknown[]
  clusters?: unknown[]
}

export type Source = {registry: string; namespace?: string} | {local: string}

/** Rewrites dependencies.extensions of the workspace config (keeps everything else). */
export async function declare(ws: string, source: Source, modules: Modules): Promise<void> {
  const file = path.join(ws, 'config', 'provisioning.yaml')
  const config = (YAML.parse(await readFile(file, 'utf8')) ?? {}) as Record<string, unknown>
  const extensions =
    'local' in source
      ? {source_type: 'local', local: {path: source.local}, modules}
      : {source_type: 'oci', oci: {registry: source.registry, ...(source.namespace ? {namespace: source.namespace} : {}), tls_enabled: false}, modules}
  config.dependencies = {extensions}
  await writeFile(file, YAML.stringify(config))
}

export const lockPath = (ws: string) => path.join(ws, 'config', 'provisioning.lock')
export const readLock = (ws: string) => readFile(lockPath(ws), 'utf8').catch(() => undefined)

export function depResolve(ws: string, env: Record<string, string>, args: string[] = []): Promise<CliResult> {
  return runCli(['dep', 'resolve', ...args], {env, cwd: ws})
}

export interface ResolveDoc {
  followedLock: boolean
  lockWritten: boolean
  dryRun: boolean
  warnings: string[]
  installed: string[]
  unchanged: string[]
  removed: string[]
  order: Array<{name: string; type: string; version: string; reference: string; digest: string}>
}

export interface ErrorDoc {
  error: {code: string; message: string; exit: number; hint?: string; details: Record<string, unknown>}
}

/** Installed extension folders as `group/name` -> absolute path (dot entries are not extensions). */
export async function installedDirs(ws: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const group of GROUPS) {
    const dir = path.join(ws, 'extensions', group)
    for (const entry of (await readdir(dir, {withFileTypes: true}).catch(() => [])).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.isDirectory() && !entry.name.startsWith('.')) out[`${group}/${entry.name}`] = path.join(dir, entry.name)
    }
  }
  return out
}

/** What a run leaves behind when interrupted: temp/aside folders and temp files (never .gitkeep). */
export async function leftovers(ws: string): Promise<string[]> {
  const found: string[] = []
  const scan = async (rel: string) => {
    for (const entry of await readdir(path.join(ws, rel)).catch(() => [] as string[])) {
      if (entry.startsWith('.') && entry !== '.gitkeep' && entry !== '.installed.json') found.push(`${rel}/${entry}`)
    }
  }
  for (const group of GROUPS) await scan(`extensions/${group}`)
  await scan('extensions')
  await scan('config')
  return found.sort()
}

/** Files of an installed (or source) extension folder, comparable with toEqual. */
export const filesOf = (dir: string): Promise<Record<string, TreeEntry>> => readFiles(dir)

/** The built CLI as a child process we can kill (same environment rules as runCli). */
export function spawnCli(args: string[], options: {env: Record<string, string>; cwd: string}): ResultPromise<{reject: false; all: true}> {
  const env: Record<string, string | undefined> = {}
  for (const key of Object.keys(process.env)) if (key.startsWith('PROVISIONING_')) env[key] = undefined
  return execa('node', [cliBin, ...args], {
    cwd: options.cwd,
    env: {...env, NO_COLOR: '1', ...options.env},
    extendEnv: true,
    reject: false,
    all: true,
    input: '',
  })
}

/** A small deterministic PRNG (mulberry32), so a failing random run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * The built CLI as a child process whose VmHWM (peak resident set) is polled while it runs.
 * A high-water mark only grows, so the last successful read is the peak (once the process
 * exited, its status has no memory lines any more).
 */
export async function spawnMeasured(
  args: string[],
  options: {env: Record<string, string>; cwd: string},
): Promise<{result: CliResult; peakKiB: number; ms: number}> {
  const started = Date.now()
  const child = spawnCli(args, options)
  let peakKiB = 0
  let running = true
  const poll = (async () => {
    while (running) {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '')
      const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status)
      if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]))
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  const done = await child
  running = false
  await poll
  return {result: {stdout: String(done.stdout), stderr: String(done.stderr), exitCode: done.exitCode ?? -1}, peakKiB, ms: Date.now() - started}
}
