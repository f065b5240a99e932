import type {Domains} from './domains.js'
import {type Incompatibility, ROOT, type Term} from './incompatibility.js'

/** Ascending versions, the newest 20 at most (a hostile registry may publish a thousand). */
export const shortVersionList = (all: readonly string[]): string =>
  all.length === 0 ? 'none' : all.length > 20 ? `${all.length - 20} older, ${all.slice(-20).join(', ')}` : all.join(', ')

/** Sentences for incompatibilities and their terms, in this platform's words. */
export class Wording {
  constructor(
    private readonly domains: Domains,
    private readonly whereIs: (name: string) => string,
  ) {}

  /** `kubernetes 1.28.0`, `level3 >=1.0.1 <=1.0.3`, `redis` (every version), `the workspace`. */
  positive(term: Term): string {
    if (term.name === ROOT) return 'the workspace'
    const text = this.domains.describe(term.name, term.set)
    return text === 'any version' ? `every version of ${term.name}` : `${term.name} ${text}`
  }

  /** The versions a negative term (one that admits absence) leaves required. */
  required(term: Term): string {
    const text = this.positive({name: term.name, set: term.set.complement()})
    return text.startsWith('every version of ') ? term.name : text
  }

  private from(incompatibility: Incompatibility, name: string): string {
    const term = incompatibility.term(name)
    return term ? this.positive(term) : name === ROOT ? 'the workspace' : name
  }

  /** Published versions, the newest 20 at most (a hostile registry may publish a thousand). */
  available(name: string): string {
    return shortVersionList(this.domains.available(name))
  }

  /** One incompatibility as a clause ("kubernetes 1.28.0 depends on containerd >=1.7.0"). */
  fact(incompatibility: Incompatibility): string {
    const cause = incompatibility.cause
    switch (cause.kind) {
      case 'root':
        return 'the workspace is being resolved'
      case 'requirement':
        return `the workspace depends on ${cause.to} ${cause.range} (${cause.location ?? cause.source})`
      case 'dependency':
        return `${this.from(incompatibility, cause.from)} depends on ${cause.to} ${cause.ranges.join(' || ')}`
      case 'optional':
        return `${this.from(incompatibility, cause.from)} accepts ${cause.to} only as ${cause.ranges.join(' || ')} (optional: applies when ${cause.to} is installed)`
      case 'conflict':
        return `${this.from(incompatibility, cause.from)} conflicts with ${cause.to} ${cause.ranges.join(' || ')}`
      case 'core':
        return `${this.from(incompatibility, cause.name)} needs provisioning >= ${cause.minimum} (the core is ${cause.core})`
      case 'no-versions':
        return cause.unknown
          ? `no extension named "${cause.name}" exists in ${this.whereIs(cause.name)}`
          : `no version of ${cause.name} matches ${cause.range} (available: ${this.available(cause.name)})`
      case 'cycle':
        return this.cycle(incompatibility, cause.path)
      case 'derived':
        return this.derived(incompatibility)
    }
  }

  private cycle(incompatibility: Incompatibility, path: string[]): string {
    if (path.length === 2 && path[0] === path[1]) return `${this.from(incompatibility, path[0])} depends on itself`
    const members = path.slice(0, -1).map((name) => this.from(incompatibility, name))
    return `${members.slice(0, -1).join(', ')} and ${members.at(-1)} form the dependency cycle ${path.join(' -> ')}`
  }

  /**
   * Two facts joined by "and", merged the way pub does when they say the same kind of thing
   * about the same subject: "the workspace depends on both foo ^1.0.0 and baz ^1.0.0".
   */
  pair(first: Incompatibility, second: Incompatibility): string {
    const [a, b] = [first.cause, second.cause]
    if (a.kind === 'requirement' && b.kind === 'requirement') {
      return `the workspace depends on both ${a.to} ${a.range} (${a.location ?? a.source}) and ${b.to} ${b.range} (${b.location ?? b.source})`
    }
    // "foo depends on bar ^2.0.0 which depends on baz ^3.0.0": only when every bar the first
    // range allows states the second (pub's wording, kept truthful for partial ranges).
    if (a.kind === 'dependency' && b.kind === 'dependency' && (b.from === a.to || a.from === b.to)) {
      const [near, far] = b.from === a.to ? [first, second] : [second, first]
      const [nc, fc] = [near.cause, far.cause] as Array<typeof a>
      const allowed = this.domains.matching(nc.to, nc.ranges.join(' || '))
      const stating = far.term(fc.from)?.set
      if (stating && allowed.isSubsetOf(stating)) return `${this.fact(near)} which depends on ${fc.to} ${fc.ranges.join(' || ')}`
    }
    if (a.kind === 'dependency' && b.kind === 'dependency' && a.from === b.from) {
      const [fa, fb] = [this.from(first, a.from), this.from(second, b.from)]
      if (fa === fb) return `${fa} depends on both ${a.to} ${a.ranges.join(' || ')} and ${b.to} ${b.ranges.join(' || ')}`
    }
    return `${this.fact(first)} and ${this.fact(second)}`
  }

  /** Pub's rendering of a derived incompatibility from its terms. */
  private derived(incompatibility: Incompatibility): string {
    if (incompatibility.failsResolution) return 'the workspace cannot be resolved'
    const positives = incompatibility.terms.filter((t) => !t.set.allowsAbsent)
    const negatives = incompatibility.terms.filter((t) => t.set.allowsAbsent)
    if (incompatibility.terms.length === 1) {
      const [term] = incompatibility.terms
      if (positives.length === 0) return `${this.required(term)} is required`
      const subject = this.positive(term)
      return subject.startsWith('every version of ') ? `no version of ${term.name} can be installed` : `${subject} cannot be installed`
    }
    const subject = positives.map((t) => this.positive(t))
    const needs = negatives.map((t) => this.required(t))
    if (positives.length === 0) return `one of ${needs.join(', ')} is required`
    const who = subject.length === 1 ? subject[0] : `${subject.slice(0, -1).join(', ')} together with ${subject.at(-1)}`
    if (needs.length === 0) return subject.length === 2 ? `${subject[0]} is incompatible with ${subject[1]}` : `${who} cannot be installed together`
    return `${who} requires ${needs.join(' or ')}`
  }
}
