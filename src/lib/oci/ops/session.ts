import type {LoadOptions} from '../../config/loader.js'
import {OciContext} from '../context.js'
import {chooseEngine, type EngineChoice} from '../engine.js'
import {type OciOverrides, ociSettings, type OciSettings} from '../settings.js'

export interface OciSession {
  settings: OciSettings
  engine: EngineChoice
  oci: OciContext
}

export type OciOperationOptions = LoadOptions & OciOverrides & {
  /** Settings the caller already built (from the config it loaded): not loaded again. */
  settings?: OciSettings
  /** Read from the workspace's declared source, like `dep resolve` (deps/source-settings.ts). */
  workspaceSource?: boolean
}

/** Loads config, picks the engine, opens a context, runs `work`, and closes connections. */
export async function withSession<T>(options: OciOperationOptions, work: (session: OciSession) => Promise<T>): Promise<T> {
  const overrides = {insecure: options.insecure, concurrency: options.concurrency, registry: options.registry, namespace: options.namespace, pre: options.pre}
  const settings = options.settings ?? (options.workspaceSource ? await (await import('../../deps/source-settings.js')).sourceSettings(options, overrides) : await ociSettings(options, overrides))
  const engine = await chooseEngine(settings)
  const oci = new OciContext(settings)
  try {
    return await work({settings, engine, oci})
  } finally {
    await oci.close()
  }
}
