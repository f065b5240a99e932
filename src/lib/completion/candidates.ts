import {readdir} from 'node:fs/promises'
import path from 'node:path'

import {readUntrusted} from '../util/untrusted-file.js'
import {readKnownWorkspaces} from '../workspace/known-workspaces.js'

export const COMPLETION_KINDS = ['workspaces', 'modes', 'extensions'] as const
export type CompletionKind = (typeof COMPLETION_KINDS)[number]

export interface CompletionOptions {
  home: string
  env: NodeJS.ProcessEnv
  cwd: string
  /** For extensions: only this type (`taskserv` or `taskservs`). */
  type?: string
  /** The workspace typed on the command line (`-w NAME|PATH`). */
  workspace?: string
}

/** Only plain names reach the shell: nothing that could be an escape sequence, a path or a value. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
/** A cached catalog index bigger than this is not read for completion. */
const MAX_INDEX_BYTES = 8 * 1024 * 1024
const MAX_INDEX_FILES = 64

interface Named {
  name: string
  type?: string
}

/**
 * Shell completion candidates, from local files only: the known workspaces, the mode
 * definitions, and for extension names the lock, the installed folders and the cached
 * catalog indexes (never a registry). Every source that cannot be read adds nothing: a
 * broken config must not put errors (or file contents) on the user's terminal. This runs
 * on every <Tab>: each kind imports only what it reads.
 */
export async function completionCandidates(kind: CompletionKind, options: CompletionOptions): Promise<string[]> {
  const found: Named[] = []
  if (kind === 'workspaces') {
    found.push(
      ...(await readKnownWorkspaces(options.home).then(
        (r) => r.workspaces,
        () => [],
      )),
    )
  } else {
    const {discoverWorkspace} = await import('../workspace/discover.js')
    const workspace = await discoverWorkspace({flag: options.workspace, env: options.env, cwd: options.cwd, home: options.home}).then(
      (d) => d.workspace?.path,
      () => undefined,
    )
    if (kind === 'modes') {
      const {availableModes} = await import('../mode/active.js')
      found.push(...(await availableModes(workspace).catch(() => [] as string[])).map((name) => ({name})))
    } else {
      const sources = [lockedExtensions(workspace), installedExtensions(workspace), cachedIndexEntries(path.join(options.home, 'cache', 'oci', 'index'))]
      for (const names of await Promise.all(sources.map((s) => s.catch(() => [] as Named[])))) found.push(...names)
    }
  }
  const type = options.type?.replace(/s$/, '')
  return [
    ...new Set(
      found
        .filter((n) => !type || !n.type || n.type === type)
        .map((n) => n.name)
        .filter((name) => NAME.test(name)),
    ),
  ].sort()
}

async function lockedExtensions(workspace: string | undefined): Promise<Named[]> {
  if (!workspace) return []
  const {lockfilePath, readLockfile} = await import('../deps/lockfile.js')
  return (await readLockfile(lockfilePath(workspace)))?.extensions.map((e) => ({name: e.name, type: e.type})) ?? []
}

async function installedExtensions(workspace: string | undefined): Promise<Named[]> {
  if (!workspace) return []
  const groups = await Promise.all(
    ['provider', 'taskserv', 'cluster'].map(async (type) => {
      const entries = await readdir(path.join(workspace, 'extensions', `${type}s`), {withFileTypes: true}).catch(() => [])
      return entries.filter((e) => e.isDirectory()).map((e) => ({name: e.name, type}))
    }),
  )
  return groups.flat()
}

/** `cache/oci/index/<registry>/<namespace>.json`, as artifact/catalog-index.ts writes them: any registry seen. */
async function cachedIndexEntries(indexRoot: string): Promise<Named[]> {
  const files: string[] = []
  for (const registry of await readdir(indexRoot).catch(() => [] as string[])) {
    for (const file of await readdir(path.join(indexRoot, registry)).catch(() => [] as string[])) {
      if (file.endsWith('.json') && files.length < MAX_INDEX_FILES) files.push(path.join(indexRoot, registry, file))
    }
  }
  const entries = await Promise.all(
    files
      .map(async (file) => {
        const read = await readUntrusted(file, {max: MAX_INDEX_BYTES})
        if (read.kind !== 'data') return []
        const index = JSON.parse(read.data.toString('utf8')) as {entries?: unknown}
        if (!Array.isArray(index.entries)) return []
        return index.entries
          .filter((e): e is {name: string; type?: unknown} => typeof e?.name === 'string')
          .map((e) => ({name: e.name, ...(typeof e.type === 'string' ? {type: e.type} : {})}))
      })
      .map((p) => p.catch(() => [] as Named[])),
  )
  return entries.flat()
}
