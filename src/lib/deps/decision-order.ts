import type {Catalog} from './types.js'

/**
 * A static rank for every name reachable from the roots through the dependencies of any
 * version: requirers rank before what they require (strongly connected groups together,
 * ties by name). Deciding names in this order means every constraint a name can get
 * from an already-decided requirer is known before the name is decided, so the greedy
 * "highest version" choice rarely has to be undone.
 */
export function decisionRanks(roots: readonly string[], catalog: Catalog): Map<string, number> {
  const edges = new Map<string, string[]>()
  const stack = [...new Set(roots)].sort()
  const seen = new Set(stack)
  while (stack.length > 0) {
    const name = stack.pop() as string
    const targets = new Set<string>()
    for (const version of catalog.versions(name) ?? []) for (const dep of Object.keys(version.dependencies)) targets.add(dep)
    const sorted = [...targets].sort()
    edges.set(name, sorted)
    for (const dep of sorted) {
      if (!seen.has(dep)) {
        seen.add(dep)
        stack.push(dep)
      }
    }
  }

  // Tarjan's algorithm, iterative (graphs of 10,000+ names would overflow recursion).
  // It emits each component after everything it reaches, i.e. dependencies first.
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const sccStack: string[] = []
  const components: string[][] = []
  let counter = 0
  for (const start of [...seen].sort()) {
    if (index.has(start)) continue
    const work: Array<{node: string; next: number}> = [{node: start, next: 0}]
    index.set(start, counter)
    low.set(start, counter++)
    sccStack.push(start)
    onStack.add(start)
    while (work.length > 0) {
      const top = work[work.length - 1]
      const targets = edges.get(top.node) ?? []
      if (top.next < targets.length) {
        const target = targets[top.next++]
        if (!index.has(target)) {
          index.set(target, counter)
          low.set(target, counter++)
          sccStack.push(target)
          onStack.add(target)
          work.push({node: target, next: 0})
        } else if (onStack.has(target)) {
          low.set(top.node, Math.min(low.get(top.node) as number, index.get(target) as number))
        }
        continue
      }
      work.pop()
      if (work.length > 0) {
        const parent = work[work.length - 1].node
        low.set(parent, Math.min(low.get(parent) as number, low.get(top.node) as number))
      }
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = []
        let member: string
        do {
          member = sccStack.pop() as string
          onStack.delete(member)
          component.push(member)
        } while (member !== top.node)
        components.push(component.sort())
      }
    }
  }
  const ranks = new Map<string, number>()
  let rank = 0
  for (let i = components.length - 1; i >= 0; i--) for (const name of components[i]) ranks.set(name, rank++)
  return ranks
}
