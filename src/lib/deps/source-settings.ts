import type {LoadedConfig} from '../config/loader.js'
import {ConfigError} from '../errors.js'
import {assertTokenFileInStore} from '../oci/credentials.js'
import {type OciOverrides, type OciSettings, ociSettingsFrom} from '../oci/settings.js'
import {type ExtensionSource, parseExtensionSource} from './declaration.js'

/**
 * The settings pointed at the workspace's declared OCI source (SPEC §9.1): its registry,
 * namespace and TLS setting, and its token file under the rules below.
 */
export function withDeclaredSource(settings: OciSettings, source: ExtensionSource): OciSettings {
  if (source.kind !== 'oci') return settings
  // A declaration is part of the workspace (it arrives through pull requests): its token
  // file must lie in the user's token store, and, like the user's own token file, goes only
  // to the registry the user's own config names (settings.userRegistry). A declaration naming
  // another registry gets no token, whichever file it names.
  const key = 'dependencies.extensions.oci.auth_token_path'
  if (source.tokenPath) assertTokenFileInStore(source.tokenPath, key, settings.home)
  return {
    ...settings,
    registry: source.registry,
    namespace: source.namespace,
    ...(source.tlsEnabled === undefined ? {} : {tlsEnabled: source.tlsEnabled}),
    ...(source.tokenPath ? {token: {path: source.tokenPath, registry: settings.userRegistry, key}} : {}),
  }
}

/**
 * The registry a command reads extensions from: inside a workspace whose declaration names
 * an OCI source, that source (the one `dep resolve` uses), else `oci.*` of the merged config.
 * An explicit registry override (a flag) wins over both, as does an explicit namespace.
 * A broken declaration fails (exit 3) when `required`; with `fallback` (read-only views:
 * `oci config` is what people run to diagnose) it leaves the `oci.*` settings in effect and
 * comes back as a warning.
 */
export function sourceSettingsFrom(
  loaded: LoadedConfig,
  overrides: OciOverrides,
  declared: 'required' | 'fallback',
): {settings: OciSettings; warnings: string[]} {
  const settings = ociSettingsFrom(loaded, overrides)
  if (!loaded.workspace || overrides.registry) return {settings, warnings: []}
  let declaredSettings: OciSettings
  try {
    const {source, problems} = parseExtensionSource(loaded.values, {
      workspacePath: loaded.workspace.path,
      defaults: {registry: settings.registry, namespace: settings.namespace},
    })
    if (problems.length > 0) {
      throw new ConfigError(`the workspace's extension source is invalid: ${problems.join('; ')}`, {
        hint: 'fix dependencies.extensions in config/provisioning.yaml (SPEC §9.1)',
        details: {problems},
      })
    }
    declaredSettings = withDeclaredSource(settings, source)
  } catch (error) {
    if (declared === 'required' || !(error instanceof ConfigError)) throw error
    const warning = `${error.message}; using the oci.* settings (${settings.registry}) instead${error.hint ? ` (${error.hint})` : ''}`
    return {settings, warnings: [warning]}
  }
  return {settings: overrides.namespace ? {...declaredSettings, namespace: overrides.namespace} : declaredSettings, warnings: []}
}
