import {loadConfig, type LoadOptions} from '../config/loader.js'
import {getPath} from '../config/merge.js'
import type {ConfigTable} from '../config/types.js'
import {OciContext} from '../oci/context.js'
import {assertTokenFileInStore} from '../oci/credentials.js'
import {ociSettings, type OciSettings} from '../oci/settings.js'
import {requireWorkspace} from '../workspace/discover.js'
import {type Declaration, parseDeclaration} from './declaration.js'
import {type Lockfile, lockfilePath, readLockfile} from './lockfile.js'

export interface DependencyContext {
  workspace: string
  /** Registered name (or folder name) of the workspace, and its merged config: for the workspace lock check. */
  workspaceName: string
  values: ConfigTable
  declaration: Declaration
  settings: OciSettings
  lockfile: string
  lockTimeoutSeconds: number
}

/** The workspace, its dependency declaration, the OCI settings of its source and its lockfile. */
export async function openDependencyContext(options: LoadOptions & {concurrency?: number}): Promise<DependencyContext> {
  const loaded = await loadConfig(options)
  const ref = requireWorkspace({workspace: loaded.workspace, warning: loaded.workspaceWarning})
  const workspace = ref.path
  const settings = await ociSettings(options, {concurrency: options.concurrency}, loaded)
  const declaration = parseDeclaration(loaded.values, {workspacePath: workspace, defaults: {registry: settings.registry, namespace: settings.namespace}, locate: loaded.locate})
  if (declaration.source.kind === 'oci') {
    settings.registry = declaration.source.registry
    settings.namespace = declaration.source.namespace
    if (declaration.source.tlsEnabled !== undefined) settings.tlsEnabled = declaration.source.tlsEnabled
    // A declaration is part of the workspace (it arrives through pull requests): its token
    // file must lie in the user's token store, and, like the user's own token file, goes only
    // to the registry the user's own config names (settings.userRegistry). A declaration naming
    // another registry gets no token, whichever file it names.
    if (declaration.source.tokenPath) {
      const key = 'dependencies.extensions.oci.auth_token_path'
      assertTokenFileInStore(declaration.source.tokenPath, key, settings.home)
      settings.token = {path: declaration.source.tokenPath, registry: settings.userRegistry, key}
    }
  }
  const lockfile = lockfilePath(workspace)
  return {workspace, workspaceName: ref.name, values: loaded.values, declaration, settings, lockfile, lockTimeoutSeconds: Number(getPath(loaded.values, 'deps.lock_timeout_seconds') ?? 10)}
}

/** The lockfile for read-only commands: a damaged one is a configuration error (exit 3). */
export function readLock(context: DependencyContext): Promise<Lockfile | undefined> {
  return readLockfile(context.lockfile)
}

/** Runs `work` with an OCI context for the declaration's source, always closing it. */
export async function withSourceOci<T>(context: DependencyContext, work: (oci: OciContext) => Promise<T>): Promise<T> {
  const oci = new OciContext(context.settings)
  try {
    return await work(oci)
  } finally {
    await oci.close()
  }
}
