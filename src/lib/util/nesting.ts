/**
 * Tables and lists nested deeper than this in a config, lockfile or state file are refused.
 * Real files nest a handful of levels; everything that walks parsed data (merge,
 * interpolation, the parse cache, canonical JSON, YAML output) recurses once per level,
 * and a few KB of `a.a.a…` keys nest thousands of levels: enough to overflow the stack.
 */
export const MAX_NESTING_DEPTH = 64

export type NestingProblem = {kind: 'too-deep'; path: string[]} | {kind: 'cycle'; path: string[]}

interface Node {
  value: object
  depth: number
  key: string
  parent: Node | undefined
}

function pathOf(node: Node): string[] {
  const keys: string[] = []
  for (let at: Node | undefined = node; at?.parent; at = at.parent) keys.push(at.key)
  return keys.reverse()
}

const containers = (value: unknown): value is object => typeof value === 'object' && value !== null && !(value instanceof Date)

/**
 * The first place where `value` nests deeper than `limit` tables/lists, or contains itself
 * (a YAML alias to one of its own ancestors makes a cycle), with the key path leading
 * there; undefined when it is fine. Iterative, so it cannot itself overflow the stack.
 */
export function nestingProblem(value: unknown, limit = MAX_NESTING_DEPTH): NestingProblem | undefined {
  if (!containers(value)) return undefined
  // The top-level table is level 1.
  const pending: Node[] = [{value, depth: 1, key: '', parent: undefined}]
  // Aliases share objects: one reached again no deeper than before needs no second walk.
  const deepestSeen = new Map<object, number>()
  for (let node = pending.pop(); node; node = pending.pop()) {
    if (node.depth > limit) return {kind: 'too-deep', path: pathOf(node)}
    const seen = deepestSeen.get(node.value)
    if (seen !== undefined && seen >= node.depth) continue
    deepestSeen.set(node.value, node.depth)
    const entries: Array<[string, unknown]> = Array.isArray(node.value) ? node.value.map((item, index) => [String(index), item]) : Object.entries(node.value)
    for (const [key, child] of entries) {
      if (!containers(child)) continue
      for (let at: Node | undefined = node; at; at = at.parent) {
        if (at.value === child) return {kind: 'cycle', path: [...pathOf(node), key]}
      }
      pending.push({value: child, depth: node.depth + 1, key, parent: node})
    }
  }
  return undefined
}

/** A key path for a message: long ones keep their start and end (`a.a.a.….a.x`). */
export function shortKeyPath(path: string[], keep = 6): string {
  return path.length <= keep * 2 ? path.join('.') : `${path.slice(0, keep).join('.')}.….${path.slice(-keep).join('.')}`
}
