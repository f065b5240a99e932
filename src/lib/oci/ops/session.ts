import type {LoadOptions} from '../../config/loader.js'
import {OciContext} from '../context.js'
import {createEngine} from '../engines/choose.js'
import type {Engine} from '../engines/engine.js'
import {type OciOverrides, ociSettings, type OciSettings} from '../settings.js'

export interface OciSession {
  settings: OciSettings
  engine: Engine
  oci: OciContext
}

export type OciOperationOptions = LoadOptions & OciOverrides & {
  /** Settings the caller already built (from the config it loaded): not loaded again. */
  settings?: OciSettings
  /**
   * Inside a workspace, talk to its declared source, like `dep resolve` (deps/source-settings.ts):
   * `required` fails on a broken declaration (exit 3), `fallback` (read-only views) uses
   * `oci.*` and reports the problem through onWarning.
   */
  workspaceSource?: 'required' | 'fallback'
  /** A problem worth saying that did not stop the command. */
  onWarning?: (message: string) => void
}

async function declaredSettings(options: OciOperationOptions, overrides: OciOverrides, declared: 'required' | 'fallback'): Promise<OciSettings> {
  const {readSourceSettings} = await import('../../deps/source-settings.js')
  const {settings, warnings} = await readSourceSettings(options, overrides, undefined, declared)
  for (const warning of warnings) options.onWarning?.(warning)
  return settings
}

/** Loads config, picks the engine, opens a context, runs `work`, and closes connections. */
export async function withSession<T>(options: OciOperationOptions, work: (session: OciSession) => Promise<T>): Promise<T> {
  const overrides = {insecure: options.insecure, concurrency: options.concurrency, registry: options.registry, namespace: options.namespace, pre: options.pre}
  const settings = options.settings ?? (options.workspaceSource ? await declaredSettings(options, overrides, options.workspaceSource) : await ociSettings(options, overrides))
  const oci = new OciContext(settings)
  try {
    return await work({settings, engine: await createEngine(oci), oci})
  } finally {
    await oci.close()
  }
}
