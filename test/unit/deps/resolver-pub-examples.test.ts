import {describe, expect, it} from 'vitest'

import {resolve} from '../../../src/lib/deps/resolver.js'
import type {CandidateVersion, RootRequirement} from '../../../src/lib/deps/types.js'
import {catalogOf} from './catalog-of.js'
import {candidate} from './example-catalog.js'

// The worked examples of Dart pub's doc/solver.md ("Examples"), translated: pub's `root`
// is the workspace, its dependencies are declared modules with their declaring line.
const root = (name: string, range: string, line: number): RootRequirement => ({
  name,
  range,
  source: `dependencies.extensions.modules.taskservs[${line - 10}]`,
  location: `config/provisioning.yaml:${line}`,
})
const solve = (all: CandidateVersion[], roots: RootRequirement[]) =>
  Object.fromEntries([...resolve({catalog: catalogOf(all), roots, coreVersion: '1.0.0'}).selected].map(([n, v]) => [n, v.version]))
const fail = (all: CandidateVersion[], roots: RootRequirement[]) => {
  try {
    resolve({catalog: catalogOf(all), roots, coreVersion: '1.0.0'})
  } catch (error) {
    return error as Error & {code: string; exit: number; details: {derivation: {lines: Array<{text: string; number?: number}>}}}
  }
  throw new Error('expected resolution to fail')
}
/** The derivation part of a message ("why:" onwards), without its indentation. */
const why = (message: string) =>
  message
    .slice(message.indexOf('why:\n') + 5)
    .split('\n')
    .map((l) => l.trim())

describe("pub's solver.md examples", () => {
  it('no conflicts: bar ^1.0.0 is chosen, not the newer 2.0.0', () => {
    const all = [candidate('foo', '1.0.0', {dependencies: {bar: '^1.0.0'}}), candidate('bar', '1.0.0'), candidate('bar', '2.0.0')]
    expect(solve(all, [root('foo', '^1.0.0', 11)])).toEqual({foo: '1.0.0', bar: '1.0.0'})
  })

  it('avoiding conflict during decision making: foo 1.1.0 is ruled out before it is chosen', () => {
    const all = [
      candidate('foo', '1.1.0', {dependencies: {bar: '^2.0.0'}}),
      candidate('foo', '1.0.0'),
      candidate('bar', '1.0.0'),
      candidate('bar', '1.1.0'),
      candidate('bar', '2.0.0'),
    ]
    expect(solve(all, [root('foo', '^1.0.0', 11), root('bar', '^1.0.0', 12)])).toEqual({foo: '1.0.0', bar: '1.1.0'})
  })

  it('performing conflict resolution: foo 2.0.0 is learned to be impossible', () => {
    const all = [
      candidate('foo', '2.0.0', {dependencies: {bar: '^1.0.0'}}),
      candidate('foo', '1.0.0'),
      candidate('bar', '1.0.0', {dependencies: {foo: '^1.0.0'}}),
    ]
    expect(solve(all, [root('foo', '>=1.0.0', 11)])).toEqual({foo: '1.0.0'})
  })

  it('conflict resolution with a partial satisfier: foo 1.1.0 transitively needs target ^1.0.0', () => {
    const all = [
      candidate('foo', '1.1.0', {dependencies: {left: '^1.0.0', right: '^1.0.0'}}),
      candidate('foo', '1.0.0'),
      candidate('left', '1.0.0', {dependencies: {shared: '>=1.0.0'}}),
      candidate('right', '1.0.0', {dependencies: {shared: '<2.0.0'}}),
      candidate('shared', '2.0.0'),
      candidate('shared', '1.0.0', {dependencies: {target: '^1.0.0'}}),
      candidate('target', '2.0.0'),
      candidate('target', '1.0.0'),
    ]
    expect(solve(all, [root('foo', '^1.0.0', 11), root('target', '^2.0.0', 12)])).toEqual({foo: '1.0.0', target: '2.0.0'})
  })

  it('linear error reporting: two lines, the root requirements merged with their declaring lines', () => {
    const all = [
      candidate('foo', '1.0.0', {dependencies: {bar: '^2.0.0'}}),
      candidate('bar', '2.0.0', {dependencies: {baz: '^3.0.0'}}),
      candidate('baz', '1.0.0'),
      candidate('baz', '3.0.0'),
    ]
    const error = fail(all, [root('foo', '^1.0.0', 11), root('baz', '^1.0.0', 12)])
    expect(error).toMatchObject({code: 'E_RESOLUTION', exit: 5})
    expect(why(error.message)).toEqual([
      'Because foo 1.0.0 depends on bar ^2.0.0 which depends on baz ^3.0.0, foo 1.0.0 requires baz ^3.0.0.',
      'So, because the workspace depends on both baz ^1.0.0 (config/provisioning.yaml:12) and foo ^1.0.0 (config/provisioning.yaml:11), the workspace cannot be resolved.',
    ])
    // The headline keeps SPEC §9.2's chains and what exists.
    expect(error.message).toContain('no version of baz satisfies every constraint')
    expect(error.message).toContain('workspace -> foo@1.0.0 -> bar@2.0.0 -> baz ^3.0.0   (required)')
    expect(error.message).toContain('workspace -> baz ^1.0.0   (declared at config/provisioning.yaml:12, dependencies.extensions.modules.taskservs[2])')
    expect(error.message).toContain('available versions of baz: 1.0.0, 3.0.0')
    expect(error.details.derivation.lines.map((l) => l.text)).toEqual(why(error.message))
  })

  it('branching error reporting: both branches, the shared conclusion numbered once and referred to', () => {
    const all = [
      candidate('foo', '1.0.0', {dependencies: {a: '^1.0.0', b: '^1.0.0'}}),
      candidate('foo', '1.1.0', {dependencies: {x: '^1.0.0', y: '^1.0.0'}}),
      candidate('a', '1.0.0', {dependencies: {b: '^2.0.0'}}),
      candidate('b', '1.0.0'),
      candidate('b', '2.0.0'),
      candidate('x', '1.0.0', {dependencies: {y: '^2.0.0'}}),
      candidate('y', '1.0.0'),
      candidate('y', '2.0.0'),
    ]
    const error = fail(all, [root('foo', '^1.0.0', 11)])
    expect(why(error.message)).toEqual([
      'Because foo 1.0.0 depends on a ^1.0.0 which depends on b ^2.0.0, foo 1.0.0 requires b ^2.0.0.',
      '(1) So, because foo 1.0.0 depends on b ^1.0.0, foo 1.0.0 cannot be installed.',
      '',
      // pub derives this branch in the other order (it decides x before y); the same facts.
      'Because x 1.0.0 depends on y ^2.0.0 and foo 1.1.0 depends on y ^1.0.0, x 1.0.0 is incompatible with foo 1.1.0.',
      'And because foo 1.1.0 depends on x ^1.0.0, foo 1.1.0 cannot be installed.',
      'And because foo 1.0.0 cannot be installed (1), no version of foo can be installed.',
      'So, because the workspace depends on foo ^1.0.0 (config/provisioning.yaml:11), the workspace cannot be resolved.',
    ])
    // Both sides of the branch carry their ranges (no "chosen, but then … could not be resolved").
    expect(error.message).not.toMatch(/chosen, but then/)
    expect(error.details.derivation.lines.find((l) => l.number === 1)?.text).toBe('So, because foo 1.0.0 depends on b ^1.0.0, foo 1.0.0 cannot be installed.')
  })
})

describe("explanations of this platform's own relations", () => {
  it('a conflict, an optional range and the core version take part in the derivation', () => {
    const all = [
      candidate('app', '2.0.0', {dependencies: {db: '*'}, optional: {cache: '>=2'}}),
      candidate('app', '1.0.0', {minProvisioningVersion: '9.0.0'}),
      candidate('db', '1.0.0', {conflicts: {cache: '1.x'}}),
      candidate('cache', '1.0.0'),
    ]
    const error = fail(all, [root('app', '*', 11), root('cache', '*', 12)])
    const lines = why(error.message).join('\n')
    expect(lines).toContain('app 1.0.0 needs provisioning >= 9.0.0 (the core is 1.0.0)')
    expect(lines).toMatch(/db 1\.0\.0 conflicts with cache 1\.x|app 2\.0\.0 accepts cache only as >=2/)
  })

  it('a cycle every choice makes is the headline, with its path', () => {
    const all = [candidate('a', '1.0.0', {dependencies: {b: '*'}}), candidate('b', '1.0.0', {dependencies: {a: '^1'}})]
    const error = fail(all, [root('a', '*', 11)])
    expect(error.message.split('\n')[0]).toBe('dependency cycle: a -> b -> a')
    expect(error.message).toContain('form the dependency cycle a -> b -> a')
    expect(error.details).toMatchObject({kind: 'cycle', cycle: ['a', 'b', 'a']})
  })
})
