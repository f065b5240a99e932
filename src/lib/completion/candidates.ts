import {readdir, stat} from 'node:fs/promises'
import path from 'node:path'

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

interface Named {
  name: string
  type?: string
}

/**
 * Shell completion candidates, from local files only: the known workspaces, the mode
 * definitions, and for extension names the lock, the installed folders and the
 * repository indexes (never a registry). Every source that cannot be read adds nothing: a
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
      const sources = [lockedExtensions(workspace), installedExtensions(workspace), indexedExtensions(completionCacheDir(options))]
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

/**
 * The OCI cache folder, without loading the config (that would cost every <Tab> the parse of
 * every layer): PROVISIONING_OCI__CACHE__DIR when it is an absolute path, else the
 * default under the home. An oci.cache.dir set in a config file is not seen here.
 */
function completionCacheDir(options: CompletionOptions): string {
  const fromEnv = options.env.PROVISIONING_OCI__CACHE__DIR
  return fromEnv && path.isAbsolute(fromEnv) ? fromEnv : path.join(options.home, 'cache', 'oci')
}

/**
 * The repository indexes `repo sync` and `oci search` keep under the OCI cache
 * (repository/index-store.ts), read and checked as every reader does. Which repositories
 * are declared (and visible) is config, not read here: an index whose folder is untouched
 * for PRUNE_AFTER_MS (a removed or renamed repository, an old URL; a repository in use is
 * synced far more often) is left out instead.
 */
async function indexedExtensions(cacheDir: string): Promise<Named[]> {
  const {indexFilesUnder, readAnyRepositoryIndex, describedBy, PRUNE_AFTER_MS} = await import('../repository/index-store.js')
  const now = Date.now()
  const indexes = await Promise.all(
    (await indexFilesUnder(cacheDir)).map(async (file) => {
      const touched = await stat(path.dirname(file)).then(
        (info) => info.mtimeMs,
        () => 0,
      )
      return now - touched < PRUNE_AFTER_MS ? readAnyRepositoryIndex(file) : undefined
    }),
  )
  return indexes.flatMap((index) =>
    (index?.extensions ?? []).map((e) => {
      const type = describedBy(e)?.type
      return {name: e.name, ...(type === undefined ? {} : {type})}
    }),
  )
}
