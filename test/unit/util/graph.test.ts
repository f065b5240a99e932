import {describe, expect, it} from 'vitest'

import {installOrder} from '../../../src/lib/deps/install-order.js'
import {ResolutionError} from '../../../src/lib/errors.js'
import {findCycle, levelledOrder, levelsOf, reaches} from '../../../src/lib/util/graph.js'

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges))

describe('graph utilities', () => {
  it('finds a cycle as its whole path, and none in a graph without one', () => {
    expect(findCycle(graph({a: ['b'], b: ['c'], c: ['a']}))).toEqual(['a', 'b', 'c', 'a'])
    expect(findCycle(graph({a: ['a']}))).toEqual(['a', 'a'])
    expect(findCycle(graph({a: ['b', 'c'], b: ['c'], c: []}))).toBeUndefined()
  })

  it('orders prerequisites first, ties by level then name, whatever order the edges came in', () => {
    expect(levelledOrder(graph({web: ['api'], api: ['db', 'cache'], db: [], cache: []}))).toEqual({order: ['cache', 'db', 'api', 'web']})
    expect(levelledOrder(graph({z: [], y: [], x: ['z']}))).toEqual({order: ['y', 'z', 'x']})
  })

  it('returns a cycle reached only through nodes that have a level (never throws)', () => {
    // Every node has a prerequisite without a cycle (r), so each gets a candidate level; the cycle must still show.
    const cyclic = graph({r: [], c1: ['c2', 'r'], c2: ['c1', 'r'], x: ['c1']})
    expect(levelledOrder(cyclic)).toEqual({cycle: ['c1', 'c2', 'c1']})
    expect([...levelsOf(cyclic)]).toEqual([['r', 0]])
  })

  it('ignores prerequisites outside the graph and handles a chain of 10,000 without recursion', () => {
    expect(levelledOrder(graph({a: ['outside']}))).toEqual({order: ['a']})
    const chain = graph(Object.fromEntries(Array.from({length: 10_000}, (_, i) => [`n${i}`, i === 0 ? [] : [`n${i - 1}`]])))
    const ordered = levelledOrder(chain)
    expect('order' in ordered && ordered.order.at(-1)).toBe('n9999')
    expect(reaches('n9999', 'n0', chain)).toBe(true)
    expect(reaches('n0', 'n9999', chain)).toBe(false)
  })

  it('install order turns a hard cycle into a resolution error (exit 5) naming the path', () => {
    let caught: unknown
    try {
      installOrder(['a', 'b'], graph({a: ['b'], b: ['a']}), new Map())
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ResolutionError)
    expect((caught as ResolutionError).exit).toBe(5)
    expect((caught as ResolutionError).message).toBe('dependency cycle: a -> b -> a')
  })

  it('install order keeps an optional edge unless it contradicts the hard ones', () => {
    expect(installOrder(['a', 'b'], new Map(), graph({a: ['b']}))).toEqual(['b', 'a'])
    expect(installOrder(['a', 'b'], graph({b: ['a']}), graph({a: ['b']}))).toEqual(['a', 'b'])
  })
})
