import {type LoadedConfig, type LoadOptions} from '../config/loader.js'
import {ConfigError} from '../errors.js'
import {assertTokenFileInStore} from '../oci/credentials.js'
import {type OciOverrides, ociSettings, type OciSettings} from '../oci/settings.js'
import {type ExtensionSource, parseExtensionSource} from './declaration.js'
import {selectAndLoadConfig} from '../session/select-config.js'

/**
 * Points settings at the workspace's declared OCI source (SPEC §9.1): its registry,
 * namespace and TLS setting, and its token file under the rules below.
 */
export function applyDeclaredSource(settings: OciSettings, source: ExtensionSource): void {
  if (source.kind !== 'oci') return
  settings.registry = source.registry
  settings.namespace = source.namespace
  if (source.tlsEnabled !== undefined) settings.tlsEnabled = source.tlsEnabled
  // A declaration is part of the workspace (it arrives through pull requests): its token
  // file must lie in the user's token store, and, like the user's own token file, goes only
  // to the registry the user's own config names (settings.userRegistry). A declaration naming
  // another registry gets no token, whichever file it names.
  if (source.tokenPath) {
    const key = 'dependencies.extensions.oci.auth_token_path'
    assertTokenFileInStore(source.tokenPath, key, settings.home)
    settings.token = {path: source.tokenPath, registry: settings.userRegistry, key}
  }
}

/**
 * The registry a command reads extensions from: inside a workspace whose declaration names
 * an OCI source, that source (the one `dep resolve` uses), else `oci.*` of the merged config.
 * An explicit registry override (a flag) wins over both, as does an explicit namespace.
 * A broken declaration fails (exit 3).
 */
export async function sourceSettings(options: LoadOptions, overrides: OciOverrides = {}, given?: LoadedConfig): Promise<OciSettings> {
  return (await readSourceSettings(options, overrides, given, 'required')).settings
}

/**
 * As sourceSettings, for read-only views (`oci config` is what people run to diagnose): with
 * `fallback`, a broken declaration leaves the `oci.*` settings in effect and comes back as a warning.
 */
export async function readSourceSettings(options: LoadOptions, overrides: OciOverrides, given: LoadedConfig | undefined, declared: 'required' | 'fallback'): Promise<{settings: OciSettings; warnings: string[]}> {
  const loaded = given ?? (await selectAndLoadConfig(options))
  const settings = await ociSettings(options, overrides, loaded)
  if (!loaded.workspace || overrides.registry) return {settings, warnings: []}
  const declaredSettings = {...settings}
  try {
    const {source, problems} = parseExtensionSource(loaded.values, {workspacePath: loaded.workspace.path, defaults: {registry: settings.registry, namespace: settings.namespace}})
    if (problems.length > 0) {
      throw new ConfigError(`the workspace's extension source is invalid: ${problems.join('; ')}`, {hint: 'fix dependencies.extensions in config/provisioning.yaml (SPEC §9.1)', details: {problems}})
    }
    applyDeclaredSource(declaredSettings, source)
  } catch (error) {
    if (declared === 'required' || !(error instanceof ConfigError)) throw error
    const warning = `${error.message}; using the oci.* settings (${settings.registry}) instead${error.hint ? ` (${error.hint})` : ''}`
    return {settings, warnings: [warning]}
  }
  if (overrides.namespace) declaredSettings.namespace = overrides.namespace
  return {settings: declaredSettings, warnings: []}
}
