import {ConfigError} from '../errors.js'
import {levelledOrder, type Prerequisites} from '../util/graph.js'
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

/**
 * Dependencies first, ties by level then name. readDefinitions already refuses a cycle (a
 * ConfigError naming the key, exit 3); definitions built another way get the same answer.
 */
function orderOf(prerequisites: Prerequisites): string[] {
  const ordered = levelledOrder(prerequisites)
  if ('order' in ordered) return ordered.order
  throw new ConfigError(`invalid service definition: dependency cycle: ${ordered.cycle.join(' -> ')}`, {
    hint: 'one of the services named must stop depending on the next (platform.services.<name>.depends_on)',
    details: {cycle: ordered.cycle},
  })
}

function prerequisites(definitions: ReadonlyMap<string, ServiceDefinition>): Map<string, string[]> {
  return new Map([...definitions.values()].map((d) => [d.name, d.dependsOn]))
}

/** The named services and everything they depend on, dependencies first (ties by name). */
export function startOrder(definitions: ReadonlyMap<string, ServiceDefinition>, names: readonly string[]): string[] {
  const needed = closure(names, (n) => definitions.get(n)?.dependsOn ?? [])
  const edges = prerequisites(definitions)
  return orderOf(new Map([...needed].map((n) => [n, edges.get(n) ?? []])))
}

/** The named services and everything that depends on them (among `candidates`), dependents first. */
export function stopOrder(definitions: ReadonlyMap<string, ServiceDefinition>, names: readonly string[], candidates: ReadonlySet<string>): string[] {
  const dependents = new Map<string, string[]>()
  for (const d of definitions.values()) for (const dep of d.dependsOn) dependents.set(dep, [...(dependents.get(dep) ?? []), d.name])
  const affected = closure(names, (n) => (dependents.get(n) ?? []).filter((d) => candidates.has(d)))
  const edges = prerequisites(definitions)
  return orderOf(new Map([...affected].map((n) => [n, (edges.get(n) ?? []).filter((d) => affected.has(d))]))).reverse()
}
