import type {CandidateVersion, Catalog} from '../../../src/lib/deps/types.js'

/** An in-memory catalog indexed by name (large generated catalogs: one lookup per call, not a scan). */
export function catalogOf(all: readonly CandidateVersion[]): Catalog {
  const byName = new Map<string, CandidateVersion[]>()
  for (const version of all) {
    const list = byName.get(version.name)
    if (list) list.push(version)
    else byName.set(version.name, [version])
  }
  return {versions: (name) => byName.get(name)}
}
