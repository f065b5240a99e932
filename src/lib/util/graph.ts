/**
 * Directed graphs given as node -> prerequisites (the nodes it must come after). Generic:
 * a cycle is returned, never thrown; each caller turns it into its own error.
 */
export type Prerequisites = ReadonlyMap<string, readonly string[]>

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * One cycle as a path `a -> b -> a`, or undefined. Iterative: a chain of 10,000 extensions
 * (a registry may serve that many) would overflow the stack of a recursive search.
 */
export function findCycle(prerequisites: Prerequisites): string[] | undefined {
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

/** Whether `to` is `from` or one of its prerequisites, directly or not. */
export function reaches(from: string, to: string, prerequisites: Prerequisites): boolean {
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
 * Each node's level: 0 without prerequisites, else one more than its highest prerequisite;
 * ordering by level is a topological order. Prerequisites that are not nodes of the graph
 * are ignored; nodes on or behind a cycle get no level. Kahn's algorithm, by hand and
 * iterative: the `toposort` package recurses once per node along a path and overflows the
 * stack on a chain of ~6,000 extensions, which a registry may serve (it allows 10,000 names).
 */
export function levelsOf(prerequisites: Prerequisites): Map<string, number> {
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
  // A node's level is final (and set) once all its prerequisites have theirs.
  const level = new Map<string, number>()
  const highest = new Map<string, number>()
  const ready = [...waiting].filter(([, n]) => n === 0).map(([node]) => node)
  while (ready.length > 0) {
    const node = ready.pop() as string
    const own = highest.get(node) ?? 0
    level.set(node, own)
    for (const dependent of dependents.get(node) ?? []) {
      highest.set(dependent, Math.max(highest.get(dependent) ?? 0, own + 1))
      const left = (waiting.get(dependent) as number) - 1
      waiting.set(dependent, left)
      if (left === 0) ready.push(dependent)
    }
  }
  return level
}

/**
 * The nodes in topological order (prerequisites first), by level and then by name, so the
 * order does not depend on the order edges were given in; or a cycle when there is one.
 */
export function levelledOrder(prerequisites: Prerequisites): {order: string[]} | {cycle: string[]} {
  const level = levelsOf(prerequisites)
  if (level.size !== prerequisites.size) return {cycle: findCycle(prerequisites) as string[]}
  return {order: [...prerequisites.keys()].sort((a, b) => (level.get(a) as number) - (level.get(b) as number) || byName(a, b))}
}
