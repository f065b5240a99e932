import {ResolutionError} from '../../errors.js'
import type {Domains} from './domains.js'
import {type Incompatibility, ROOT} from './incompatibility.js'
import {derivationReport, derivationShape, formatReport, MAX_REPORTED_STEPS, type ReportLine} from './report.js'
import {shortVersionList, Wording} from './wording.js'

const MAX_LISTED_CONSTRAINTS = 20

interface Constraint {
  chain: string
  kind: string
}

/**
 * The story of a failure (SPEC §9.2): a headline naming the extension at the heart of it
 * with every constraint on it as a chain from the workspace (`workspace -> kubernetes@1.28.0
 * -> containerd >=1.7.0`) and what exists, then pub's derivation: each step and why, shared
 * steps numbered once. `--json` gets the same as data.
 */
export function failureError(root: Incompatibility, domains: Domains): ResolutionError {
  const where = (name: string) => domains.catalog.whereIs?.(name)
  const wording = new Wording(domains, (name) => where(name)?.text ?? 'the catalog')
  const {steps, facts} = derivationShape(root)
  const cycles = facts.filter((f) => f.cause.kind === 'cycle')
  const blocking = facts.filter((f) => !['requirement', 'dependency', 'root'].includes(f.cause.kind))
  const cycle = cycles.length > 0 && cycles.length === blocking.length ? (cycles[0].cause as {path: string[]}).path : undefined
  const focus = focusOf(facts)
  const unknown = facts.some((f) => f.cause.kind === 'no-versions' && f.cause.unknown && f.cause.name === focus)
  const constraints = focus === undefined ? [] : constraintsOn(focus, facts, domains, wording)
  const available = focus === undefined ? [] : domains.available(focus)
  const offers = focus === undefined || cycle ? [] : (domains.catalog.offers?.(focus) ?? [])

  const lines: string[] = []
  if (cycle) lines.push(`dependency cycle: ${cycle.join(' -> ')}`)
  else if (focus === undefined) lines.push('the workspace cannot be resolved')
  else if (unknown) lines.push(`no extension named "${focus}" exists in ${where(focus)?.text ?? 'the catalog'}`)
  else lines.push(`no version of ${focus} satisfies every constraint`)
  if (!cycle && focus !== undefined) {
    if (constraints.length > 0) {
      // A pigeonhole-like failure can involve hundreds; the derivation below still names them all.
      const shown = constraints.slice(0, MAX_LISTED_CONSTRAINTS).map((c) => `  ${c.chain}   (${c.kind})`)
      if (constraints.length > shown.length) shown.push(`  … and ${constraints.length - shown.length} more (all of them in --json)`)
      lines.push('', `constraints on ${focus}:`, ...shown)
    }
    if (!unknown) lines.push('', `available versions of ${focus}: ${wording.available(focus)}`)
    // With repositories: the one that supplies the name, and the less-preferred ones that hold it too (not used).
    const supplier = offers.find((o) => o.used)
    for (const offer of offers) {
      if (offer.used)
        lines.push(`  from ${offer.repository}: ${shortVersionList(offer.versions)} (the most preferred repository holding ${focus} supplies all its versions)`)
      else
        lines.push(
          `  also in ${offer.repository}: ${shortVersionList(offer.versions)}, not used: ${supplier?.repository ?? 'another repository'} is preferred (pin ${focus} to repository ${offer.repository} to use it)`,
        )
    }
  }

  let report: ReportLine[]
  if (steps <= MAX_REPORTED_STEPS) {
    report = derivationReport(root, wording)
    lines.push('', 'why:', ...formatReport(report).map((l) => (l === '' ? '' : `  ${l}`)))
  } else {
    // A proof this long (thousands of steps) helps nobody line by line: name what it rests on.
    report = facts.slice(0, 40).map((f) => ({text: wording.fact(f)}))
    lines.push(
      '',
      `why: the proof takes ${steps} steps; it rests on these ${facts.length} facts${facts.length > 40 ? ' (the first 40)' : ''}:`,
      ...report.map((l) => `  - ${l.text}`),
    )
  }

  const repository = focus !== undefined && unknown ? where(focus)?.repository : undefined
  return new ResolutionError(lines.join('\n'), {
    hint: cycle
      ? `one of ${[...new Set(cycle)].join(', ')} must stop requiring the next in every version the workspace could use; a cycle can never be installed in order`
      : unknown
        ? 'check the name, publish it ("provisioning oci push"), or remove the requirement'
        : `relax one of the constraints above, pin a different version in the workspace, or publish a version of ${focus ?? 'the extensions named'} that fits` +
          (offers.some((o) => !o.used) ? `; to take ${focus} from a less-preferred repository, pin it ({name: ${focus}, repository: NAME})` : ''),
    details: {
      kind: cycle ? 'cycle' : 'unsatisfiable',
      ...(focus === undefined ? {} : {name: focus, available, constraints}),
      ...(offers.length > 0 ? {availableIn: offers} : {}),
      ...(cycle ? {cycle} : {}),
      ...(repository ? {repository} : {}),
      // The declared modules the proof rests on: without them this failure is gone (dep validate).
      roots: [...new Set(facts.flatMap((f) => (f.cause.kind === 'requirement' ? [f.cause.to] : [])))].sort(),
      derivation: {
        steps,
        lines: report.map((l) => (l.number === undefined ? {text: l.text} : {number: l.number, text: l.text})),
        facts: facts.slice(0, 200).map((f) => ({kind: f.cause.kind, text: wording.fact(f)})),
      },
    },
  })
}

/**
 * The extension the failure is about: the one the facts constrain most (a missing name or
 * an empty range counts double, as it is usually the thing to fix). Ties go to the name
 * the proof reached first.
 */
function focusOf(facts: readonly Incompatibility[]): string | undefined {
  const score = new Map<string, number>()
  const bump = (name: string, by: number) => name !== ROOT && score.set(name, (score.get(name) ?? 0) + by)
  for (const fact of facts) {
    const cause = fact.cause
    if (cause.kind === 'requirement' || cause.kind === 'dependency' || cause.kind === 'optional' || cause.kind === 'conflict') bump(cause.to, 1)
    else if (cause.kind === 'no-versions') bump(cause.name, 2)
    else if (cause.kind === 'core') bump(cause.name, 1)
  }
  let best: string | undefined
  for (const [name, value] of score) if (best === undefined || value > (score.get(best) as number)) best = name
  return best
}

/** Every fact constraining `focus`, as a chain from the workspace. */
function constraintsOn(focus: string, facts: readonly Incompatibility[], domains: Domains, wording: Wording): Constraint[] {
  // Who requires whom, from the facts themselves: the chains are the proof's, not a guess.
  const requirers = new Map<string, Incompatibility>()
  for (const fact of facts) {
    const cause = fact.cause
    if (cause.kind === 'requirement' && !requirers.has(cause.to)) requirers.set(cause.to, fact)
  }
  for (const fact of facts) {
    const cause = fact.cause
    if (cause.kind === 'dependency' && !requirers.has(cause.to)) requirers.set(cause.to, fact)
  }
  const node = (fact: Incompatibility, name: string) => {
    const term = fact.term(name)
    const text = term ? domains.describe(name, term.set) : 'any version'
    if (text === 'any version') return name
    return domains.versions(name).some((v) => v.version === text) ? `${name}@${text}` : `${name}@(${text})`
  }
  const chainTo = (fact: Incompatibility, name: string): string => {
    const parts = [node(fact, name)]
    const seen = new Set([name])
    for (let at = name; ;) {
      const via = requirers.get(at)
      if (!via) return `… -> ${parts.join(' -> ')}`
      const cause = via.cause
      if (cause.kind === 'requirement') return ['workspace', ...parts].join(' -> ')
      if (cause.kind !== 'dependency' || seen.has(cause.from)) return `… -> ${parts.join(' -> ')}`
      seen.add(cause.from)
      parts.unshift(node(via, cause.from))
      at = cause.from
    }
  }
  const out: Constraint[] = []
  for (const fact of facts) {
    const cause = fact.cause
    if (cause.kind === 'requirement' && cause.to === focus) {
      out.push({chain: `workspace -> ${focus} ${cause.range}`, kind: `declared at ${cause.location ? `${cause.location}, ` : ''}${cause.source}`})
    } else if ((cause.kind === 'dependency' || cause.kind === 'optional' || cause.kind === 'conflict') && cause.to === focus) {
      const verb = cause.kind === 'conflict' ? 'conflicts with ' : ''
      const kind = cause.kind === 'dependency' ? 'required' : cause.kind === 'optional' ? 'optional: applies when installed' : 'conflict'
      out.push({chain: `${chainTo(fact, cause.from)} -> ${verb}${focus} ${cause.ranges.join(' || ')}`, kind})
    } else if (cause.kind === 'conflict' && cause.from === focus) {
      out.push({chain: `${chainTo(fact, focus)} -> conflicts with ${cause.to} ${cause.ranges.join(' || ')}`, kind: 'conflict'})
    } else if (cause.kind === 'core' && cause.name === focus) {
      out.push({chain: `${wording.fact(fact)}`, kind: 'core version'})
    }
  }
  return out
}
