import type {LoadedConfig} from '../../config/loader.js'
import {sourceSettingsFrom} from '../../deps/source-settings.js'
import {OciStores} from '../stores.js'
import {createEngine} from '../engines/choose.js'
import type {Engine} from '../engines/engine.js'
import {type OciOverrides, ociSettingsFrom, type OciSettings} from '../settings.js'

export interface OciSession {
  settings: OciSettings
  engine: Engine
  oci: OciStores
}

export type OciOperationOptions = OciOverrides & {
  /** The run's merged config (the command session's, loaded once): the settings are built from it. */
  config: () => Promise<LoadedConfig>
  /**
   * Inside a workspace, talk to its declared source, like `dep resolve` (deps/source-settings.ts):
   * `required` fails on a broken declaration (exit 3), `fallback` (read-only views) uses
   * `oci.*` and reports the problem through onWarning.
   */
  workspaceSource?: 'required' | 'fallback'
  /** A problem worth saying that did not stop the command. */
  onWarning?: (message: string) => void
}

/** The session's OCI settings: the config's `oci.*` (or the workspace's declared source) with the overrides. */
async function sessionSettings(options: OciOperationOptions): Promise<OciSettings> {
  const overrides = {insecure: options.insecure, concurrency: options.concurrency, registry: options.registry, namespace: options.namespace, pre: options.pre}
  const loaded = await options.config()
  if (!options.workspaceSource) return ociSettingsFrom(loaded, overrides)
  const {settings, warnings} = sourceSettingsFrom(loaded, overrides, options.workspaceSource)
  for (const warning of warnings) options.onWarning?.(warning)
  return settings
}

/** Builds the settings, picks the engine, opens the stores, runs `work`, and closes connections. */
export async function withSession<T>(options: OciOperationOptions, work: (session: OciSession) => Promise<T>): Promise<T> {
  const settings = await sessionSettings(options)
  const oci = new OciStores(settings)
  try {
    return await work({settings, engine: await createEngine(oci), oci})
  } finally {
    await oci.close()
  }
}
