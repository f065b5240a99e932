import type {Incompatibility} from './incompatibility.js'
import type {Wording} from './wording.js'

export interface ReportLine {
  text: string
  /** Set on lines referred to later by "(n)". */
  number?: number
}

/** Beyond this many derivation steps the proof is summarized by its facts instead (pigeonhole-like searches). */
export const MAX_REPORTED_STEPS = 400

/**
 * Pub's error reporting (doc/solver.md, "Error Reporting"): walks the derivation graph of
 * the final incompatibility and writes one sentence per derived step, numbering only the
 * lines referred to again, so shared sub-derivations are explained once.
 */
export function derivationReport(root: Incompatibility, wording: Wording): ReportLine[] {
  const outgoing = new Map<Incompatibility, number>()
  const count = (incompatibility: Incompatibility) => {
    const stack = [incompatibility]
    while (stack.length > 0) {
      const next = stack.pop() as Incompatibility
      if (next.cause.kind !== 'derived') continue
      for (const cause of next.cause.causes) {
        const seen = outgoing.get(cause)
        outgoing.set(cause, (seen ?? 0) + 1)
        if (seen === undefined) stack.push(cause)
      }
    }
  }
  count(root)

  const lines: ReportLine[] = []
  const numbers = new Map<Incompatibility, number>()
  let counter = 0
  const write = (incompatibility: Incompatibility, text: string, numbered: boolean) => {
    if (numbered) {
      const number = ++counter
      numbers.set(incompatibility, number)
      lines.push({text, number})
    } else {
      lines.push({text})
    }
  }
  const derived = (i: Incompatibility) => i.cause.kind === 'derived'
  const causesOf = (i: Incompatibility) => (i.cause as {causes: [Incompatibility, Incompatibility]}).causes
  const collapsible = (i: Incompatibility) => {
    if ((outgoing.get(i) ?? 0) > 1) return false
    const [a, b] = causesOf(i)
    if (derived(a) === derived(b)) return false
    return !numbers.has(derived(a) ? a : b)
  }

  const visit = (incompatibility: Incompatibility, conclusion = false): void => {
    const numbered = conclusion || (outgoing.get(incompatibility) ?? 0) > 1
    const so = conclusion || incompatibility === root ? 'So,' : 'And'
    const text = wording.fact(incompatibility)
    const [first, second] = causesOf(incompatibility)
    const say = (i: Incompatibility) => wording.fact(i)
    if (derived(first) && derived(second)) {
      const n1 = numbers.get(first)
      const n2 = numbers.get(second)
      if (n1 !== undefined && n2 !== undefined) {
        write(incompatibility, `Because ${say(first)} (${n1}) and ${say(second)} (${n2}), ${text}.`, numbered)
      } else if (n1 !== undefined || n2 !== undefined) {
        const [withLine, without, line] = n1 !== undefined ? [first, second, n1] : [second, first, n2 as number]
        visit(without)
        write(incompatibility, `${so} because ${say(withLine)} (${line}), ${text}.`, numbered)
      } else {
        const simple = (i: Incompatibility) => !derived(causesOf(i)[0]) && !derived(causesOf(i)[1])
        if (simple(first) || simple(second)) {
          const [complex, single] = simple(second) ? [first, second] : [second, first]
          visit(complex)
          visit(single)
          write(incompatibility, `Thus, ${text}.`, numbered)
        } else {
          visit(first, true)
          lines.push({text: ''})
          visit(second)
          write(incompatibility, `${so} because ${say(first)} (${numbers.get(first)}), ${text}.`, numbered)
        }
      }
    } else if (derived(first) || derived(second)) {
      const [inner, external] = derived(first) ? [first, second] : [second, first]
      const line = numbers.get(inner)
      if (line !== undefined) {
        write(incompatibility, `Because ${say(external)} and ${say(inner)} (${line}), ${text}.`, numbered)
      } else if (collapsible(inner)) {
        const [a, b] = causesOf(inner)
        const [priorDerived, priorExternal] = derived(a) ? [a, b] : [b, a]
        visit(priorDerived)
        write(incompatibility, `${so} because ${wording.pair(priorExternal, external)}, ${text}.`, numbered)
      } else {
        visit(inner)
        write(incompatibility, `${so} because ${say(external)}, ${text}.`, numbered)
      }
    } else {
      write(incompatibility, `Because ${wording.pair(first, second)}, ${text}.`, numbered)
    }
  }

  if (!derived(root)) return [{text: `Because ${wording.fact(root)}, the workspace cannot be resolved.`}]
  visit(root)
  return lines
}

/** Derivation steps and the distinct external facts under the final incompatibility. */
export function derivationShape(root: Incompatibility): {steps: number; facts: Incompatibility[]} {
  const seen = new Set<Incompatibility>()
  const facts: Incompatibility[] = []
  let steps = 0
  const stack = [root]
  while (stack.length > 0) {
    const next = stack.pop() as Incompatibility
    if (seen.has(next)) continue
    seen.add(next)
    if (next.cause.kind === 'derived') {
      steps++
      stack.push(next.cause.causes[1], next.cause.causes[0])
    } else {
      facts.push(next)
    }
  }
  return {steps, facts}
}

/** Numbered lines as text: `(1) Because …`, others indented to match. */
export function formatReport(lines: readonly ReportLine[]): string[] {
  const width = lines.reduce((w, l) => (l.number === undefined ? w : Math.max(w, `(${l.number}) `.length)), 0)
  return lines.map((l) => (l.text === '' ? '' : l.number === undefined ? `${' '.repeat(width)}${l.text}` : `(${l.number}) `.padEnd(width) + l.text))
}
