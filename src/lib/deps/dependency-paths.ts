import {dependentsOf} from './graph-view.js'
import type {LockedExtension} from './lockfile.js'

/** One step of a chain: the extension, and whether the step before requires it only optionally. */
export interface ChainLink {
  name: string
  optional: boolean
}

export interface ChainsTo {
  /** Each chain from a declared module (first) to the target (last); at most `limit`, shortest first. */
  chains: ChainLink[][]
  /** How many chains exist in all: exact, however many (a diamond-heavy graph has exponentially many). */
  total: bigint
}

/**
 * Every chain by which the workspace reaches `target` (`dep why`): from each declared module
 * along locked edges down to it. Only `limit` chains are built, shortest first, so the work
 * is bounded by what is shown; the total is counted, not enumerated (paths to a name = paths
 * to each of its dependents, plus one when the workspace declares it). A cycle in a
 * hand-edited lock is never followed twice: its members count no chains.
 */
export function chainsTo(extensions: LockedExtension[], declared: ReadonlySet<string>, target: string, limit: number): ChainsTo {
  const dependents = dependentsOf(extensions)
  const counts = chainCounts(extensions, declared)
  const reachable = (name: string) => (counts.get(name) ?? 0n) > 0n
  const steps = stepsFromWorkspace(extensions, declared)
  const parentsOf = (name: string) =>
    (dependents.get(name) ?? [])
      .filter(([parent]) => reachable(parent))
      .sort(([a], [b]) => (steps.get(a) as number) - (steps.get(b) as number) || (a < b ? -1 : a > b ? 1 : 0))

  const chains: ChainLink[][] = []
  // Walks up from the target; `trail` is the chain so far, target first. Iterative: a lock
  // may hold a chain of thousands of extensions.
  const trail: ChainLink[] = []
  const onTrail = new Set<string>()
  const frames: Array<{link: ChainLink; parents?: Array<readonly [string, boolean]>; next: number}> = []
  if (reachable(target)) frames.push({link: {name: target, optional: false}, next: 0})
  while (frames.length > 0 && chains.length < limit) {
    const frame = frames[frames.length - 1]
    if (!frame.parents) {
      trail.push(frame.link)
      onTrail.add(frame.link.name)
      if (declared.has(frame.link.name)) chains.push(toChain(trail))
      frame.parents = parentsOf(frame.link.name)
    }
    const parent = frame.parents[frame.next++]
    if (parent === undefined) {
      frames.pop()
      trail.pop()
      onTrail.delete(frame.link.name)
    } else if (!onTrail.has(parent[0])) {
      // The link records how the parent requires the step below it.
      frames.push({link: {name: parent[0], optional: false}, next: 0})
      trail[trail.length - 1] = {...trail[trail.length - 1], optional: parent[1]}
    }
  }
  return {chains, total: counts.get(target) ?? 0n}
}

/** The trail (target first, each link flagged by how its parent requires it) as a chain from the workspace. */
function toChain(trail: ChainLink[]): ChainLink[] {
  return trail.map((link, i) => ({name: link.name, optional: i < trail.length - 1 ? link.optional : false})).reverse()
}

/** Chains from the workspace to each name, in topological order (Kahn); names on a cycle stay at 0. */
function chainCounts(extensions: LockedExtension[], declared: ReadonlySet<string>): Map<string, bigint> {
  const children = new Map(extensions.map((e) => [e.name, [...Object.keys(e.dependencies), ...Object.keys(e.optional)]]))
  const waiting = new Map(extensions.map((e) => [e.name, 0]))
  for (const list of children.values()) for (const child of list) waiting.set(child, (waiting.get(child) ?? 0) + 1)
  const counts = new Map(extensions.map((e) => [e.name, declared.has(e.name) ? 1n : 0n]))
  const ready = extensions.map((e) => e.name).filter((name) => waiting.get(name) === 0)
  while (ready.length > 0) {
    const name = ready.pop() as string
    for (const child of children.get(name) ?? []) {
      if (!counts.has(child)) continue
      counts.set(child, (counts.get(child) as bigint) + (counts.get(name) as bigint))
      const left = (waiting.get(child) as number) - 1
      waiting.set(child, left)
      if (left === 0) ready.push(child)
    }
  }
  for (const [name, left] of waiting) if (left > 0) counts.set(name, 0n)
  return counts
}

/** Fewest steps from the workspace to each name (breadth first from the declared modules). */
function stepsFromWorkspace(extensions: LockedExtension[], declared: ReadonlySet<string>): Map<string, number> {
  const byName = new Map(extensions.map((e) => [e.name, e]))
  const steps = new Map<string, number>()
  let level = [...declared].filter((name) => byName.has(name))
  for (let depth = 0; level.length > 0; depth++) {
    const next: string[] = []
    for (const name of level) {
      if (steps.has(name)) continue
      steps.set(name, depth)
      const e = byName.get(name) as LockedExtension
      next.push(...Object.keys(e.dependencies), ...Object.keys(e.optional))
    }
    level = next.filter((name) => !steps.has(name))
  }
  return steps
}
