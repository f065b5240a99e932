import {UsageError} from '../errors.js'

/**
 * Label selectors as Kubernetes and OpenPitrix's user repository selector write them:
 * comma-separated requirements, all of which must hold: `key=value` (or `==`), `key!=value`,
 * `key in (a,b)`, `key notin (a,b)`, `key` (has the label), `!key` (lacks it). Written by
 * hand: the grammar is a dozen lines and no maintained library parses it outside a
 * Kubernetes client.
 */
export type Requirement = {key: string; op: 'in' | 'notin'; values: string[]} | {key: string; op: 'exists' | 'absent'}

export interface Selector {
  text: string
  requirements: Requirement[]
}

const KEY = '[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?'
const VALUE = '(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?'
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(\\s*(${VALUE}(?:\\s*,\\s*${VALUE})*)\\s*\\)$`)
const EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`)
const EXISTS = new RegExp(`^(!?)\\s*(${KEY})$`)
const MAX_SELECTOR_LENGTH = 4096

/** Parses a selector; throws a UsageError naming the requirement it cannot read. */
export function parseSelector(text: string): Selector {
  if (text.length > MAX_SELECTOR_LENGTH) throw new UsageError(`a selector is at most ${MAX_SELECTOR_LENGTH} characters`)
  const requirements: Requirement[] = []
  for (const part of splitTopLevel(text)) {
    const item = part.trim()
    if (item === '') throw selectorError(text, 'an empty requirement')
    let match = SET.exec(item)
    if (match) {
      requirements.push({key: match[1], op: match[2] as 'in' | 'notin', values: match[3].split(',').map((v) => v.trim())})
      continue
    }
    match = EQUALITY.exec(item)
    if (match) {
      requirements.push({key: match[1], op: match[2] === '!=' ? 'notin' : 'in', values: [match[3]]})
      continue
    }
    match = EXISTS.exec(item)
    if (match) {
      requirements.push({key: match[2], op: match[1] === '!' ? 'absent' : 'exists'})
      continue
    }
    throw selectorError(text, `"${item}"`)
  }
  return {text, requirements}
}

/** Commas inside `( … )` belong to a set. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++
    else if (text[i] === ')') depth--
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
    if (depth < 0 || depth > 1) throw selectorError(text, 'unbalanced parentheses')
  }
  if (depth !== 0) throw selectorError(text, 'unbalanced parentheses')
  parts.push(text.slice(start))
  return parts
}

function selectorError(text: string, what: string) {
  return new UsageError(`cannot read the label selector ${JSON.stringify(text)}: ${what}`, {
    hint: 'requirements are key=value, key!=value, key in (a,b), key notin (a,b), key or !key, separated by commas',
  })
}

/** Whether labels satisfy every requirement (`notin` and `!=` hold for a missing label, as in Kubernetes). */
export function selectorMatches(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  return selector.requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key)
    switch (r.op) {
      case 'exists':
        return has
      case 'absent':
        return !has
      case 'in':
        return has && r.values.includes(labels[r.key])
      case 'notin':
        return !has || !r.values.includes(labels[r.key])
    }
  })
}
