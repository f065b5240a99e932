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
  /**
   * A registry or namespace the workspace names (`workspace migrate-to-oci`'s target): used
   * like a declared source, so unlike the `registry` override the user's token still goes
   * only to the user's own registry (settings.userRegistry).
   */
  target?: OciTarget
}

export interface OciTarget {
  registry?: string
  namespace?: string
}

/** The settings pointed at `target` (its fields that are set), the token rule unchanged. */
export function withTarget(settings: OciSettings, target: OciTarget | undefined): OciSettings {
  return {...settings, ...(target?.registry ? {registry: target.registry} : {}), ...(target?.namespace ? {namespace: target.namespace} : {})}
}

/** The session's OCI settings: the config's `oci.*` (or the workspace's declared source) with the overrides. */
async function sessionSettings(options: OciOperationOptions): Promise<OciSettings> {
  const overrides = {insecure: options.insecure, concurrency: options.concurrency, registry: options.registry, namespace: options.namespace, pre: options.pre}
  const loaded = await options.config()
  if (!options.workspaceSource) return withTarget(ociSettingsFrom(loaded, overrides), options.target)
  const {settings, warnings} = sourceSettingsFrom(loaded, overrides, options.workspaceSource)
  for (const warning of warnings) options.onWarning?.(warning)
  return withTarget(settings, options.target)
}

/** Builds the settings, picks the engine, opens the stores, runs `work`, and closes connections. */
export async function withSession<T>(options: OciOperationOptions, work: (session: OciSession) => Promise<T>): Promise<T> {
  const settings = await sessionSettings(options)
  const oci = new OciStores(settings, {onWarning: options.onWarning})
  try {
    return await work({settings, engine: await createEngine(oci), oci})
  } finally {
    await oci.close()
  }
}
