import type {LoadedConfig} from '../config/loader.js'
import {repositoriesFrom, type RepositorySet} from '../repository/repository.js'
import {sourceSettingsFrom} from './source-settings.js'

/**
 * The repositories of a run (SPEC §13): those declared under `repositories.*`, plus the
 * implicit one, the source `dep resolve` has always used (the workspace's
 * `dependencies.extensions.oci`, else `oci.*`). A broken extension source does not hide the
 * declared repositories: it comes back as a problem and `oci.*` stands in for it.
 */
export function declaredRepositories(loaded: LoadedConfig): RepositorySet {
  const {settings, warnings} = sourceSettingsFrom(loaded, {}, 'fallback')
  const set = repositoriesFrom(loaded, {registry: settings.registry, namespace: settings.namespace})
  return {...set, problems: [...warnings, ...set.problems]}
}
