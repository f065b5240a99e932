import {ResolutionError} from '../errors.js'
import {findCycle, levelledOrder, levelsOf, reaches} from '../util/graph.js'

/**
 * Install order (SPEC §9.2): every hard dependency before its dependent; a present
 * optional dependency too, unless that would contradict the hard edges (then the hard
 * edge wins). Levelled (util/graph.ts) so ties are broken by name.
 * A cycle of hard dependencies is a ResolutionError naming the whole path.
 */
export function installOrder(
  nodes: readonly string[],
  hard: ReadonlyMap<string, readonly string[]>,
  optional: ReadonlyMap<string, readonly string[]>,
): string[] {
  const cycle = findCycle(hard)
  if (cycle) {
    throw new ResolutionError(`dependency cycle: ${cycle.join(' -> ')}`, {
      hint: `one of ${[...new Set(cycle)].join(', ')} must stop requiring the next; a cycle can never be installed in order`,
      details: {cycle},
    })
  }
  const prerequisites = new Map<string, string[]>(nodes.map((n) => [n, [...(hard.get(n) ?? [])]]))
  // An optional edge that agrees with the levels of the graph so far (its dependency on a
  // lower level) cannot close a cycle, so only edges against them need the search (rare);
  // the levels are renewed after such an edge is added. Without this, 10,000 extensions
  // spent most of their install-order time searching.
  let levels: Map<string, number> | undefined
  for (const node of [...nodes].sort()) {
    for (const dep of [...(optional.get(node) ?? [])].sort()) {
      if (!prerequisites.has(dep)) continue
      levels ??= levelsOf(prerequisites)
      if ((levels.get(dep) as number) >= (levels.get(node) as number)) {
        if (reaches(dep, node, prerequisites)) continue
        levels = undefined
      }
      prerequisites.get(node)?.push(dep)
    }
  }
  const ordered = levelledOrder(prerequisites)
  if ('cycle' in ordered) throw new Error('internal: an optional edge closed a cycle in the install order')
  return ordered.order
}
