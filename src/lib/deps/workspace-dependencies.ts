import type {LoadedConfig} from '../config/loader.js'
import type {ConfigTable} from '../config/types.js'
import {OciStores} from '../oci/stores.js'
import {type OciSettings, ociSettingsFrom} from '../oci/settings.js'
import {requireWorkspace} from '../workspace/discover.js'
import {type Declaration, parseDeclaration} from './declaration.js'
import {type Lockfile, lockfilePath, readLockfile} from './lockfile.js'
import {bindRepositories, usesRepositories} from './repository-binding.js'
import {declaredRepositories} from './repositories.js'
import {dependencySettingsFrom} from './settings.js'
import {withDeclaredSource} from './source-settings.js'

export interface WorkspaceDependencies {
  workspace: string
  /** Registered name (or folder name) of the workspace, and its merged config: for the workspace lock check. */
  workspaceName: string
  values: ConfigTable
  declaration: Declaration
  settings: OciSettings
  lockfile: string
  lockTimeoutSeconds: number
}

/** What opening a workspace's dependencies takes: the run's config, and `--concurrency`. */
export interface WorkspaceDependenciesOptions {
  /**
   * The run's config (the command session's config()), loaded when they are opened:
   * its errors surface where opening's do (`dep validate` lists them as declaration problems).
   */
  config: () => Promise<LoadedConfig>
  concurrency?: number
}

/** The workspace, its dependency declaration, the OCI settings of its source and its lockfile. */
export async function openWorkspaceDependencies(options: WorkspaceDependenciesOptions): Promise<WorkspaceDependencies> {
  const loaded = await options.config()
  const ref = requireWorkspace({workspace: loaded.workspace, warning: loaded.workspaceWarning})
  const workspace = ref.path
  const configured = ociSettingsFrom(loaded, {concurrency: options.concurrency})
  const parsed = parseDeclaration(loaded.values, {
    workspacePath: workspace,
    defaults: {registry: configured.registry, namespace: configured.namespace},
    locate: loaded.locate,
  })
  // Repositories are read only when the declaration names some: a single-registry workspace reads exactly what it did before.
  const sources = usesRepositories(parsed) ? bindRepositories(parsed, declaredRepositories(loaded)) : undefined
  const declaration: Declaration = sources ? {...parsed, sources} : parsed
  const settings = withDeclaredSource(configured, declaration.source)
  const lockfile = lockfilePath(workspace)
  return {
    workspace,
    workspaceName: ref.name,
    values: loaded.values,
    declaration,
    settings,
    lockfile,
    lockTimeoutSeconds: dependencySettingsFrom(loaded).lockTimeoutSeconds,
  }
}

/** The lockfile for read-only commands: a damaged one is a configuration error (exit 3). */
export function readLock(context: WorkspaceDependencies): Promise<Lockfile | undefined> {
  return readLockfile(context.lockfile)
}

/** Runs `work` with OCI stores (OciStores) for the declaration's source, always closing it. */
export async function withSourceOci<T>(context: WorkspaceDependencies, work: (oci: OciStores) => Promise<T>): Promise<T> {
  const oci = new OciStores(context.settings)
  try {
    return await work(oci)
  } finally {
    await oci.close()
  }
}
