import {ResolutionError} from '../errors.js'

/**
 * Finds one cycle in a graph given as node -> prerequisites, as a path `a -> b -> a`.
 * Iterative: a chain of 10,000 extensions (a registry may serve that many) would overflow
 * the stack of a recursive search.
 */
export function findCycle(prerequisites: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'active' | 'done'>()
  for (const start of [...prerequisites.keys()].sort()) {
    if (state.has(start)) continue
    const path: string[] = [start]
    const work: Array<{node: string; next: string[]; at: number}> = [{node: start, next: [...(prerequisites.get(start) ?? [])].sort(), at: 0}]
    state.set(start, 'active')
    while (work.length > 0) {
      const top = work[work.length - 1]
      if (top.at === top.next.length) {
        state.set(top.node, 'done')
        work.pop()
        path.pop()
        continue
      }
      const next = top.next[top.at++]
      const seen = state.get(next)
      if (seen === 'active') return [...path.slice(path.indexOf(next)), next]
      if (seen === 'done') continue
      state.set(next, 'active')
      path.push(next)
      work.push({node: next, next: [...(prerequisites.get(next) ?? [])].sort(), at: 0})
    }
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
  const level = levelsOf(prerequisites)
  return [...nodes].sort((a, b) => (level.get(a) as number) - (level.get(b) as number) || (a < b ? -1 : a > b ? 1 : 0))
}

/**
 * Each node's level: 0 without prerequisites, else one more than its highest prerequisite;
 * ordering by level is a topological order. Kahn's algorithm, by hand and iterative: the
 * `toposort` package recurses once per node along a path and overflows the stack on a chain
 * of ~6,000 extensions, which a registry may serve (it allows 10,000 names). The graph has no
 * cycle here (checked before).
 */
function levelsOf(prerequisites: ReadonlyMap<string, readonly string[]>): Map<string, number> {
  const dependents = new Map<string, string[]>()
  const waiting = new Map<string, number>()
  for (const [node, deps] of prerequisites) {
    const known = deps.filter((d) => prerequisites.has(d))
    waiting.set(node, known.length)
    for (const dep of known) {
      const list = dependents.get(dep)
      if (list) list.push(node)
      else dependents.set(dep, [node])
    }
  }
  const level = new Map<string, number>()
  const ready = [...waiting].filter(([, n]) => n === 0).map(([node]) => node)
  for (const node of ready) level.set(node, 0)
  while (ready.length > 0) {
    const node = ready.pop() as string
    for (const dependent of dependents.get(node) ?? []) {
      level.set(dependent, Math.max(level.get(dependent) ?? 0, (level.get(node) as number) + 1))
      const left = (waiting.get(dependent) as number) - 1
      waiting.set(dependent, left)
      if (left === 0) ready.push(dependent)
    }
  }
  if (level.size !== prerequisites.size) throw new Error('internal: install order of a graph with a cycle')
  return level
}
