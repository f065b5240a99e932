import {type LoadOptions} from '../config/loader.js'
import {getPath} from '../config/merge.js'
import type {ConfigTable} from '../config/types.js'
import {OciContext} from '../oci/context.js'
import {ociSettings, type OciSettings} from '../oci/settings.js'
import {requireWorkspace} from '../workspace/discover.js'
import {type Declaration, parseDeclaration} from './declaration.js'
import {type Lockfile, lockfilePath, readLockfile} from './lockfile.js'
import {applyDeclaredSource} from './source-settings.js'
import {selectAndLoadConfig} from '../session/select-config.js'

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
  const loaded = await selectAndLoadConfig(options)
  const ref = requireWorkspace({workspace: loaded.workspace, warning: loaded.workspaceWarning})
  const workspace = ref.path
  const settings = await ociSettings(options, {concurrency: options.concurrency}, loaded)
  const declaration = parseDeclaration(loaded.values, {workspacePath: workspace, defaults: {registry: settings.registry, namespace: settings.namespace}, locate: loaded.locate})
  applyDeclaredSource(settings, declaration.source)
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
