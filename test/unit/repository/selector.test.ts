import {describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/lib/errors.js'
import {parseSelector, selectorMatches} from '../../../src/lib/repository/selector.js'

const matches = (selector: string, labels: Record<string, string>) => selectorMatches(parseSelector(selector), labels)

function refused(text: string): UsageError {
  try {
    parseSelector(text)
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return error as UsageError
  }
  throw new Error(`selector ${JSON.stringify(text)} was accepted`)
}

describe('label selectors: grammar', () => {
  it('reads every requirement form, with spaces where people put them', () => {
    expect(parseSelector('env=prod, team in (core, net),tier!=gold,  region notin (eu) ,critical,!deprecated,zone==a').requirements).toEqual([
      {key: 'env', op: 'in', values: ['prod']},
      {key: 'team', op: 'in', values: ['core', 'net']},
      {key: 'tier', op: 'notin', values: ['gold']},
      {key: 'region', op: 'notin', values: ['eu']},
      {key: 'critical', op: 'exists'},
      {key: 'deprecated', op: 'absent'},
      {key: 'zone', op: 'in', values: ['a']},
    ])
  })

  it('accepts prefixed keys and the empty value', () => {
    expect(parseSelector('example.com/team=core,owner=').requirements).toEqual([
      {key: 'example.com/team', op: 'in', values: ['core']},
      {key: 'owner', op: 'in', values: ['']},
    ])
  })

  it('matches as Kubernetes does: all requirements hold; notin and != hold for a missing label', () => {
    const labels = {env: 'prod', team: 'net'}
    expect(matches('env=prod,team in (core,net)', labels)).toBe(true)
    expect(matches('env=prod,team in (core)', labels)).toBe(false)
    expect(matches('tier!=gold', labels)).toBe(true)
    expect(matches('tier notin (gold)', labels)).toBe(true)
    expect(matches('env notin (prod,dev)', labels)).toBe(false)
    expect(matches('env', labels)).toBe(true)
    expect(matches('!env', labels)).toBe(false)
    expect(matches('!tier', labels)).toBe(true)
    expect(matches('tier in (gold)', {})).toBe(false)
  })

  it('does not let an inherited property pass for a label', () => {
    expect(matches('constructor', {})).toBe(false)
    expect(matches('toString in (x)', {})).toBe(false)
    expect(matches('hasOwnProperty=x', {})).toBe(false)
  })
})

describe('label selectors: hostile and broken input', () => {
  it.each([
    ['an empty requirement', 'env=prod,,team=core'],
    ['a trailing comma', 'env=prod,'],
    ['an unclosed set', 'team in (core,net'],
    ['a closing parenthesis first', 'team in )core('],
    ['nested parentheses', 'team in ((core))'],
    ['an operator without a key', '=prod'],
    ['a set without its operator', 'team (core)'],
    ['a value with spaces', 'env=pro d'],
    ['a key starting with a dash', '-env=prod'],
    ['a value of 64 characters', `env=${'a'.repeat(64)}`],
  ])('refuses %s with exit 2 and a hint naming the grammar', (_what, text) => {
    const error = refused(text)
    expect(error.exit).toBe(2)
    expect(error.hint).toContain('key in (a,b)')
  })

  it('refuses a 5000-character selector by its length, before reading it', () => {
    const started = performance.now()
    const error = refused(`env=${'a,'.repeat(2500)}`)
    expect(error.message).toContain('at most 4096 characters')
    expect(performance.now() - started).toBeLessThan(100)
  })

  it('reads a long but allowed selector in linear time (no catastrophic backtracking)', () => {
    const many = Array.from({length: 400}, (_, i) => `k${i}=v`).join(',')
    expect(parseSelector(many).requirements).toHaveLength(400)
    const started = performance.now()
    refused(`${'a'.repeat(4000)}!`)
    refused(`k in (${'a,'.repeat(1500)}`)
    expect(performance.now() - started).toBeLessThan(200)
  })

  it('refuses non-ASCII keys and values (look-alike letters, right-to-left marks) rather than matching them loosely', () => {
    refused('еnv=prod') // Cyrillic "е"
    refused('env=prоd') // Cyrillic "о"
    refused('env=prod\u202e')
    refused('team in (core,n\u00e9t)')
    expect(refused('env=😀').message).toContain('😀')
  })

  it('names the unbalanced parenthesis problem', () => {
    expect(refused('team in (core').message).toContain('unbalanced parentheses')
    expect(refused('team in core)').message).toContain('unbalanced parentheses')
  })
})
