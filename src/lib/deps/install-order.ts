import toposort from 'toposort'

import {ResolutionError} from '../errors.js'

/** Finds one cycle in a graph given as node -> prerequisites, as a path `a -> b -> a`. */
export function findCycle(prerequisites: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'active' | 'done'>()
  const path: string[] = []
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined
    if (state.get(node) === 'active') return [...path.slice(path.indexOf(node)), node]
    state.set(node, 'active')
    path.push(node)
    for (const next of [...(prerequisites.get(node) ?? [])].sort()) {
      const cycle = visit(next)
      if (cycle) return cycle
    }
    path.pop()
    state.set(node, 'done')
    return undefined
  }
  for (const node of [...prerequisites.keys()].sort()) {
    const cycle = visit(node)
    if (cycle) return cycle
  }
  return undefined
}

function reaches(from: string, to: string, prerequisites: ReadonlyMap<string, readonly string[]>): boolean {
  const seen = new Set<string>()
  const stack = [from]
  while (stack.length > 0) {
    const node = stack.pop() as string
    if (node === to) return true
    if (seen.has(node)) continue
    seen.add(node)
    stack.push(...(prerequisites.get(node) ?? []))
  }
  return false
}

/**
 * Install order (SPEC §9.2): every hard dependency before its dependent; a present
 * optional dependency too, unless that would contradict the hard edges (then the hard
 * edge wins). Computed with toposort, then levelled so ties are broken by name.
 * A cycle of hard dependencies is a ResolutionError naming the whole path.
 */
export function installOrder(nodes: readonly string[], hard: ReadonlyMap<string, readonly string[]>, optional: ReadonlyMap<string, readonly string[]>): string[] {
  const cycle = findCycle(hard)
  if (cycle) {
    throw new ResolutionError(`dependency cycle: ${cycle.join(' -> ')}`, {
      hint: `one of ${[...new Set(cycle)].join(', ')} must stop requiring the next; a cycle can never be installed in order`,
      details: {cycle},
    })
  }
  const prerequisites = new Map<string, string[]>(nodes.map((n) => [n, [...(hard.get(n) ?? [])]]))
  // An optional edge that agrees with a topological order of the graph so far cannot close a
  // cycle, so only edges against that order need the search (rare); the order is renewed
  // after such an edge is added. Without this, 10,000 extensions spent most of their
  // install-order time searching.
  let position: Map<string, number> | undefined
  const positions = () => {
    if (!position) {
      const edges: Array<[string, string]> = []
      for (const [node, deps] of prerequisites) for (const dep of deps) if (prerequisites.has(dep)) edges.push([dep, node])
      position = new Map(toposort.array([...prerequisites.keys()], edges).map((n, i) => [n, i]))
    }
    return position
  }
  for (const node of [...nodes].sort()) {
    for (const dep of [...(optional.get(node) ?? [])].sort()) {
      if (!prerequisites.has(dep)) continue
      const order = positions()
      if ((order.get(dep) as number) > (order.get(node) as number)) {
        if (reaches(dep, node, prerequisites)) continue
        position = undefined
      }
      prerequisites.get(node)?.push(dep)
    }
  }
  const edges: Array<[string, string]> = []
  for (const [node, deps] of prerequisites) for (const dep of deps) edges.push([dep, node])
  const sorted = toposort.array([...nodes].sort(), edges)
  const level = new Map<string, number>()
  for (const node of sorted) level.set(node, Math.max(-1, ...(prerequisites.get(node) ?? []).map((d) => level.get(d) ?? -1)) + 1)
  return sorted.sort((a, b) => (level.get(a) as number) - (level.get(b) as number) || (a < b ? -1 : a > b ? 1 : 0))
}
