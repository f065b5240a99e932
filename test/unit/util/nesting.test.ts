import {describe, expect, it} from 'vitest'

import {MAX_NESTING_DEPTH, nestingProblem, shortKeyPath} from '../../../src/lib/util/nesting.js'

const nested = (depth: number): unknown => {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? {a: value} : [value]
  return value
}

describe('nestingProblem', () => {
  it('accepts up to the limit and reports the path past it, without recursing', () => {
    expect(nestingProblem(nested(MAX_NESTING_DEPTH))).toBeUndefined()
    const problem = nestingProblem(nested(MAX_NESTING_DEPTH + 1))
    expect(problem?.kind).toBe('too-deep')
    expect(problem?.path).toHaveLength(MAX_NESTING_DEPTH)
    expect(nestingProblem(nested(100_000))?.kind).toBe('too-deep')
  })

  it('finds a value that contains itself, and walks shared values once', () => {
    const loop: Record<string, unknown> = {x: 1}
    loop.again = {inner: loop}
    expect(nestingProblem({top: loop})).toEqual({kind: 'cycle', path: ['top', 'again', 'inner']})
    // 2^40 paths through 40 shared levels: fine, and fast.
    let shared: unknown = 'leaf'
    for (let i = 0; i < 40; i++) shared = {l: shared, r: shared}
    expect(nestingProblem(shared)).toBeUndefined()
    expect(nestingProblem({when: new Date(0), s: 'x', n: null})).toBeUndefined()
  })

  it('shortens long key paths for messages', () => {
    expect(shortKeyPath(['a', 'b'])).toBe('a.b')
    expect(shortKeyPath(Array.from({length: 20}, (_, i) => `k${i}`))).toBe('k0.k1.k2.k3.k4.k5.….k14.k15.k16.k17.k18.k19')
  })
})
