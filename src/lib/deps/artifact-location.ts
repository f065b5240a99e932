import {type Location, parseLocation, type Reference} from '../oci/reference.js'

export interface ArtifactLocation {
  location: Location
  repository: string
}

/**
 * Where the workspace looks for an extension: a root declared with its own reference is
 * fetched from there, every other name from `registry/namespace/NAME`. The catalog fetch
 * and the lock contract use this one rule, so a lock can only point where a resolution would.
 */
export function artifactLocator(
  source: {registry: string; namespace: string},
  roots: Array<{name: string; reference?: Reference}>,
  cwd: string,
): (name: string) => ArtifactLocation {
  const defaultLocation = parseLocation(source.registry, cwd)
  const explicit = new Map(roots.filter((r) => r.reference).map((r) => [r.name, r.reference as Reference]))
  return (name) => {
    const ref = explicit.get(name)
    return ref
      ? {location: ref.location, repository: ref.repository}
      : {location: defaultLocation, repository: source.namespace ? `${source.namespace}/${name}` : name}
  }
}
