import {formatLocation, type Location, parseLocation, type Reference} from '../oci/reference.js'
import type {Repository} from '../repository/repository.js'
import type {DeclaredRepositories} from './declaration.js'

export interface ArtifactLocation {
  location: Location
  repository: string
  /** The declared repository (SPEC §13) this place belongs to; absent without repositories and for a root's own reference. */
  source?: string
}

/** What decides where a name is looked up: the implicit source, the roots (own references, pins) and the declaration's repositories. */
export interface LocatorInput {
  source: {registry: string; namespace: string}
  roots: ReadonlyArray<{name: string; reference?: Reference; repository?: string}>
  sources?: DeclaredRepositories
}

/**
 * Where the workspace looks for an extension, in preference order: a root declared with its
 * own reference is fetched from there; a pinned name from its repository only; with
 * repositories, every other name from each searched repository (`location/namespace/NAME`);
 * without, from `registry/namespace/NAME`. The catalog fetch and the lock contract use this
 * one rule, so a lock can only point where a resolution would.
 */
export function artifactLocator(input: LocatorInput, cwd: string): (name: string) => ArtifactLocation[] {
  const {source, roots, sources} = input
  const implicitLocation = parseLocation(source.registry, cwd)
  const inRepository = (repository: Repository | undefined, name: string): ArtifactLocation => {
    // The implicit repository keeps the exact rule it always had (its namespace even for a layout), so old locks stay valid.
    if (!repository || repository.implicit)
      return {location: implicitLocation, repository: source.namespace ? `${source.namespace}/${name}` : name, ...(repository ? {source: repository.name} : {})}
    return {location: repository.location, repository: repository.namespace ? `${repository.namespace}/${name}` : name, source: repository.name}
  }
  const explicit = new Map(roots.filter((r) => r.reference).map((r) => [r.name, r.reference as Reference]))
  const pinned = new Map(roots.filter((r) => r.repository).map((r) => [r.name, sources?.named.get(r.repository as string)]))
  return (name) => {
    const ref = explicit.get(name)
    if (ref) return [{location: ref.location, repository: ref.repository}]
    if (pinned.has(name)) return [inRepository(pinned.get(name), name)]
    return sources ? sources.searched.map((r) => inRepository(r, name)) : [inRepository(undefined, name)]
  }
}

/** `host/ns/name` or `oci-layout:///root/name`: a place as messages name it. */
export const formatPlace = (place: ArtifactLocation) => `${formatLocation(place.location)}/${place.repository}`
