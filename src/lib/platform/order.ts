import {installOrder} from '../deps/install-order.js'
import type {ServiceDefinition} from './definitions.js'

function closure(start: readonly string[], next: (name: string) => readonly string[]): Set<string> {
  const seen = new Set<string>()
  const stack = [...start]
  while (stack.length > 0) {
    const name = stack.pop() as string
    if (seen.has(name)) continue
    seen.add(name)
    stack.push(...next(name))
  }
  return seen
}

function prerequisites(definitions: ReadonlyMap<string, ServiceDefinition>): Map<string, string[]> {
  return new Map([...definitions.values()].map((d) => [d.name, d.dependsOn]))
}

/** The named services and everything they depend on, dependencies first (ties by name). */
export function startOrder(definitions: ReadonlyMap<string, ServiceDefinition>, names: readonly string[]): string[] {
  const needed = closure(names, (n) => definitions.get(n)?.dependsOn ?? [])
  const edges = prerequisites(definitions)
  return installOrder([...needed], new Map([...needed].map((n) => [n, edges.get(n) ?? []])), new Map())
}

/** The named services and everything that depends on them (among `candidates`), dependents first. */
export function stopOrder(definitions: ReadonlyMap<string, ServiceDefinition>, names: readonly string[], candidates: ReadonlySet<string>): string[] {
  const dependents = new Map<string, string[]>()
  for (const d of definitions.values()) for (const dep of d.dependsOn) dependents.set(dep, [...(dependents.get(dep) ?? []), d.name])
  const affected = closure(names, (n) => (dependents.get(n) ?? []).filter((d) => candidates.has(d)))
  const edges = prerequisites(definitions)
  return installOrder([...affected], new Map([...affected].map((n) => [n, (edges.get(n) ?? []).filter((d) => affected.has(d))])), new Map()).reverse()
}
