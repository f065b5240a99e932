import semver from 'semver'

import {ResolutionError} from '../errors.js'
import {decisionRanks} from './decision-order.js'
import {installOrder} from './install-order.js'
import {NameHeap} from './name-heap.js'
import type {CandidateVersion, Requirer, Resolution, ResolveInput} from './types.js'

interface Constraint {
  range: semver.Range
  text: string
  from: string
  fromVersion?: string
  kind: Requirer['kind']
}

interface Frame {
  name: string
  candidates: CandidateVersion[]
  next: number
  conflict: Set<string>
  /** What happened to each candidate tried so far, for explanations. */
  outcomes: Array<{version: string; reason: string}>
  current?: CandidateVersion
  undo?: () => void
}

interface Failure {
  name: string
  unknown: boolean
  constraints: Array<{chain: string; kind: string}>
  versions: Array<{version: string; reason: string}>
  /** Choices above the dead end that were tried and undone, closest first. */
  alsoTried: Array<{name: string; versions: Array<{version: string; reason: string}>}>
}

const ROOT = 'workspace'
const MAX_STEPS = 2_000_000

/**
 * Picks one version per extension name: the highest that satisfies every constraint,
 * backtracking when a choice dead-ends. Names are decided in discovery order (roots by
 * name, then dependencies by name), so the result is deterministic. Backtracking is
 * conflict-directed: a failure jumps back to the latest decision that contributed to
 * it instead of retrying unrelated choices, which keeps large graphs fast.
 */
export function resolve(input: ResolveInput): Resolution {
  const ranges = new Map<string, semver.Range>()
  const rangeOf = (text: string): semver.Range => {
    let range = ranges.get(text)
    if (!range) {
      try {
        range = new semver.Range(text)
      } catch {
        throw new ResolutionError(`invalid version range "${text}"`, {hint: 'use node-semver range syntax: >=1.7.0, ^1.2, ~1.2.3, 1.x, *', details: {range: text}})
      }
      ranges.set(text, range)
    }
    return range
  }
  const satisfies = (version: string, constraint: Constraint) => constraint.range.test(version)

  const selected = new Map<string, CandidateVersion>()
  const hard = new Map<string, Constraint[]>()
  const soft = new Map<string, Constraint[]>()
  const forbid = new Map<string, Constraint[]>()
  const ranks = decisionRanks(input.roots.map((r) => r.name), input.catalog)
  const rankOf = (name: string) => ranks.get(name) ?? Number.MAX_SAFE_INTEGER
  // Names that are required but not decided yet; the heap hands out the lowest rank.
  const pending = new Set<string>()
  const heap = new NameHeap(rankOf)
  const push = (map: Map<string, Constraint[]>, name: string, constraint: Constraint) => {
    const list = map.get(name)
    if (list) list.push(constraint)
    else map.set(name, [constraint])
  }
  const pop = (map: Map<string, Constraint[]>, name: string) => {
    const list = map.get(name)
    list?.pop()
    if (list?.length === 0) map.delete(name)
  }
  const enqueue = (name: string): boolean => {
    if (pending.has(name) || selected.has(name)) return false
    pending.add(name)
    heap.push(name)
    return true
  }
  const nextPending = (): string | undefined => {
    for (let name = heap.pop(); name !== undefined; name = heap.pop()) if (pending.has(name)) return name
    return undefined
  }

  for (const root of [...input.roots].sort((a, b) => compare(a.name, b.name) || compare(a.range, b.range))) {
    push(hard, root.name, {range: rangeOf(root.range), text: root.range, from: ROOT, kind: 'root', fromVersion: root.source})
    enqueue(root.name)
  }

  const chainOf = (name: string, seen = new Set<string>()): string => {
    if (name === ROOT) return ROOT
    const via = hard.get(name)?.[0] ?? soft.get(name)?.[0]
    const here = selected.has(name) ? `${name}@${selected.get(name)?.version}` : name
    if (!via || seen.has(name)) return here
    seen.add(name)
    return `${chainOf(via.from, seen)} -> ${here}`
  }
  const describe = (name: string, c: Constraint, verb = '') => `${c.from === ROOT ? ROOT : chainOf(c.from)} -> ${verb}${name} ${c.text}`

  let failure: Failure | undefined
  // A dead end (no candidate could even be tried) is the root cause worth showing;
  // ancestors that then ran out of choices are added to it as context.
  const recordDeadEnd = (name: string, reasons: Array<{version: string; reason: string}>, unknown: boolean) => {
    failure = {
      alsoTried: [],
      name,
      unknown,
      constraints: [
        ...(hard.get(name) ?? []).map((c) => ({chain: describe(name, c), kind: c.kind === 'root' ? `declared at ${c.fromVersion}` : 'required'})),
        ...(soft.get(name) ?? []).map((c) => ({chain: describe(name, c), kind: 'optional (range applies when present)'})),
        ...(forbid.get(name) ?? []).map((c) => ({chain: describe(name, c, 'conflicts with '), kind: 'conflict'})),
      ],
      versions: reasons,
    }
  }
  const recordExhausted = (frame: Frame) => {
    if (frame.outcomes.every((o) => !o.reason.startsWith('chosen'))) recordDeadEnd(frame.name, frame.outcomes, false)
    else failure?.alsoTried.push({name: frame.name, versions: frame.outcomes})
  }

  /** Why a candidate cannot be chosen now, and which decisions are to blame. */
  const reject = (name: string, c: CandidateVersion): {reason: string; blame: string[]} | undefined => {
    for (const constraint of hard.get(name) ?? []) if (!satisfies(c.version, constraint)) return {reason: `excluded by ${describe(name, constraint)}`, blame: [constraint.from]}
    for (const constraint of soft.get(name) ?? []) if (!satisfies(c.version, constraint)) return {reason: `excluded by optional ${describe(name, constraint)}`, blame: [constraint.from]}
    for (const constraint of forbid.get(name) ?? []) if (satisfies(c.version, constraint)) return {reason: `conflicts: ${describe(name, constraint, 'conflicts with ')}`, blame: [constraint.from]}
    if (c.minProvisioningVersion && semver.valid(c.minProvisioningVersion) && semver.gt(c.minProvisioningVersion, input.coreVersion)) {
      return {reason: `needs provisioning >= ${c.minProvisioningVersion} (core is ${input.coreVersion})`, blame: []}
    }
    for (const [dep, text] of Object.entries(c.dependencies)) {
      const chosen = selected.get(dep)
      if (chosen && !rangeOf(text).test(chosen.version)) return {reason: `requires ${dep} ${text}, but ${chainOf(dep)} was chosen`, blame: [dep]}
      const available = input.catalog.versions(dep)
      if (available && !available.some((v) => rangeOf(text).test(v.version))) {
        return {reason: `requires ${dep} ${text}; available: ${sortedVersions(available).join(', ') || 'none'}`, blame: []}
      }
    }
    for (const [dep, text] of Object.entries(c.optional)) {
      const chosen = selected.get(dep)
      if (chosen && !rangeOf(text).test(chosen.version)) return {reason: `optionally requires ${dep} ${text}, but ${chainOf(dep)} was chosen`, blame: [dep]}
    }
    for (const [other, text] of Object.entries(c.conflicts)) {
      const chosen = selected.get(other)
      if (chosen && rangeOf(text).test(chosen.version)) return {reason: `conflicts with ${other} ${text}, and ${chainOf(other)} was chosen`, blame: [other]}
    }
    return undefined
  }

  const apply = (name: string, c: CandidateVersion): (() => void) => {
    selected.set(name, c)
    const touched: Array<[Map<string, Constraint[]>, string]> = []
    const added: string[] = []
    const add = (map: Map<string, Constraint[]>, target: string, text: string, kind: Requirer['kind']) => {
      push(map, target, {range: rangeOf(text), text, from: name, fromVersion: c.version, kind})
      touched.push([map, target])
    }
    for (const dep of Object.keys(c.dependencies).sort()) {
      add(hard, dep, c.dependencies[dep], 'hard')
      if (!selected.has(dep) && enqueue(dep)) added.push(dep)
    }
    for (const dep of Object.keys(c.optional).sort()) add(soft, dep, c.optional[dep], 'optional')
    for (const other of Object.keys(c.conflicts).sort()) add(forbid, other, c.conflicts[other], 'hard')
    return () => {
      for (let i = touched.length - 1; i >= 0; i--) pop(touched[i][0], touched[i][1])
      for (const dep of added) pending.delete(dep)
      selected.delete(name)
    }
  }

  const candidatesOf = (name: string): CandidateVersion[] | undefined => {
    const versions = input.catalog.versions(name)
    if (!versions) return undefined
    const sorted = [...versions].sort((a, b) => semver.rcompare(a.version, b.version))
    const pinned = input.unlock?.has(name) ? undefined : input.preferred?.get(name)
    const preferred = pinned ? sorted.find((v) => v.version === pinned) : undefined
    return preferred ? [preferred, ...sorted.filter((v) => v !== preferred)] : sorted
  }

  const frames: Frame[] = []
  const depth = new Map<string, number>()
  const depthOf = (name: string) => depth.get(name) ?? Number.MAX_SAFE_INTEGER
  // An undone decision makes its name pending again (if still required).
  const abandon = (frame: Frame) => {
    if (hard.has(frame.name)) {
      pending.add(frame.name)
      heap.push(frame.name)
    }
  }
  let propagating: Set<string> | undefined
  let steps = 0
  for (;;) {
    if (++steps > MAX_STEPS) {
      throw new ResolutionError(`resolution gave up after ${MAX_STEPS} steps: the constraints leave too many combinations to try`, {
        hint: 'pin some versions in the workspace dependencies to narrow the search',
      })
    }
    if (!propagating) {
      const name = nextPending()
      if (name === undefined) break
      const candidates = candidatesOf(name)
      if (!candidates) {
        recordDeadEnd(name, [], true)
        propagating = blameOf(name, hard, depthOf)
        heap.push(name)
        if (frames.length === 0) break
        continue
      }
      pending.delete(name)
      frames.push({name, candidates, next: 0, conflict: new Set(), outcomes: []})
    }
    const frame = frames[frames.length - 1]
    if (propagating) {
      frame.undo?.()
      frame.undo = undefined
      if (frame.current) frame.outcomes.push({version: frame.current.version, reason: `chosen, but then ${failure?.name ?? 'a dependency'} could not be resolved`})
      if (!propagating.has(frame.name)) {
        abandon(frames.pop() as Frame)
        if (frames.length === 0) break
        continue
      }
      for (const name of propagating) if (name !== frame.name) frame.conflict.add(name)
      propagating = undefined
    }
    let chosen: CandidateVersion | undefined
    while (frame.next < frame.candidates.length) {
      const candidate = frame.candidates[frame.next++]
      const rejection = reject(frame.name, candidate)
      if (!rejection) {
        chosen = candidate
        break
      }
      frame.outcomes.push({version: candidate.version, reason: rejection.reason})
      for (const name of rejection.blame) frame.conflict.add(name)
    }
    frame.current = chosen
    if (chosen) {
      frame.undo = apply(frame.name, chosen)
      depth.set(frame.name, frames.length)
      continue
    }
    recordExhausted(frame)
    for (const name of blameOf(frame.name, hard, depthOf)) frame.conflict.add(name)
    frame.conflict.delete(frame.name)
    propagating = frame.conflict
    abandon(frames.pop() as Frame)
    if (frames.length === 0) break
  }

  if (propagating) throw explain(failure, input)

  const requiredBy = new Map<string, Requirer[]>()
  const hardEdges = new Map<string, string[]>()
  const optionalEdges = new Map<string, string[]>()
  for (const [name, c] of selected) {
    hardEdges.set(name, Object.keys(c.dependencies))
    optionalEdges.set(name, Object.keys(c.optional).filter((o) => selected.has(o)))
  }
  for (const name of selected.keys()) {
    requiredBy.set(name, [...(hard.get(name) ?? []), ...(soft.get(name) ?? [])].map((c) => ({from: c.from, fromVersion: c.kind === 'root' ? undefined : c.fromVersion, range: c.text, kind: c.kind})))
  }
  const names = [...selected.keys()].sort()
  return {
    selected: new Map(names.map((n) => [n, selected.get(n) as CandidateVersion])),
    requiredBy,
    order: installOrder(names, hardEdges, optionalEdges),
  }
}

/**
 * Why a name has to be decided at all: one requirer is enough to keep it required, so the
 * earliest-decided hard requirer is a sound (and the most pruning) culprit; none when the
 * workspace itself requires it. Candidates excluded by other constraints are blamed one by
 * one where they are rejected; blaming every requirer here would make backjumping retry
 * all combinations of their versions.
 */
function blameOf(name: string, hard: Map<string, Constraint[]>, depthOf: (name: string) => number): Set<string> {
  const requirers = hard.get(name) ?? []
  if (requirers.some((c) => c.from === ROOT)) return new Set()
  const earliest = [...requirers].sort((a, b) => depthOf(a.from) - depthOf(b.from))[0]
  return new Set(earliest ? [earliest.from] : [])
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function sortedVersions(versions: readonly CandidateVersion[]): string[] {
  return versions.map((v) => v.version).sort(semver.compare)
}

/** The whole story of a failure, for a tired engineer at 2 a.m. */
function explain(failure: Failure | undefined, input: ResolveInput): ResolutionError {
  if (!failure) return new ResolutionError('dependency resolution failed', {hint: 'run "provisioning dep validate" for details'})
  const lines: string[] = []
  const available = input.catalog.versions(failure.name)
  if (failure.unknown) {
    lines.push(`no extension named "${failure.name}" exists in the registry`)
  } else {
    lines.push(`no version of ${failure.name} satisfies every constraint`)
  }
  if (failure.constraints.length > 0) {
    lines.push('', `constraints on ${failure.name}:`)
    for (const c of failure.constraints) lines.push(`  ${c.chain}   (${c.kind})`)
  }
  if (!failure.unknown) {
    lines.push('', `available versions of ${failure.name}: ${available && available.length > 0 ? sortedVersions(available).join(', ') : 'none'}`)
    for (const v of failure.versions) lines.push(`  ${v.version}: ${v.reason}`)
  }
  if (failure.alsoTried.length > 0) {
    lines.push('', 'other choices tried:')
    for (const tried of failure.alsoTried) for (const v of tried.versions) lines.push(`  ${tried.name}@${v.version}: ${v.reason}`)
  }
  return new ResolutionError(lines.join('\n'), {
    hint: failure.unknown
      ? `check the name, publish it ("provisioning oci push"), or remove the requirement`
      : `relax one of the constraints above, pin a different version in the workspace, or publish a version of ${failure.name} that fits`,
    details: {name: failure.name, constraints: failure.constraints, versions: failure.versions, available: available ? sortedVersions(available) : []},
  })
}
