/**
 * A subset of one extension's domain: bit 0 is "absent" (not installed), bit i (i ≥ 1) is
 * the i-th published version, highest first. The catalog is fetched before resolution, so
 * every domain is finite and known: sets of indices replace pub's interval arithmetic, and
 * node-semver's own `Range.test` decides membership (pre-releases included only when a
 * range names one) instead of a second, hand-written range algebra.
 */
export class VersionSet {
  private constructor(
    /** Domain size: versions + 1 (the absent bit). */
    readonly size: number,
    private readonly words: Uint32Array,
  ) {}

  static empty(size: number): VersionSet {
    return new VersionSet(size, new Uint32Array((size + 31) >>> 5))
  }

  static full(size: number): VersionSet {
    const words = new Uint32Array((size + 31) >>> 5).fill(0xffffffff)
    const tail = size & 31
    if (tail !== 0) words[words.length - 1] = ((1 << tail) - 1) >>> 0
    return new VersionSet(size, words)
  }

  static of(size: number, indices: Iterable<number>): VersionSet {
    const words = new Uint32Array((size + 31) >>> 5)
    for (const i of indices) words[i >>> 5] |= 1 << (i & 31)
    return new VersionSet(size, words)
  }

  has(index: number): boolean {
    return (this.words[index >>> 5] & (1 << (index & 31))) !== 0
  }

  /** Does the set admit "not installed"? A set without it is a positive term (pub's `foo R`). */
  get allowsAbsent(): boolean {
    return (this.words[0] & 1) !== 0
  }

  intersect(other: VersionSet): VersionSet {
    const words = new Uint32Array(this.words.length)
    for (let i = 0; i < words.length; i++) words[i] = this.words[i] & other.words[i]
    return new VersionSet(this.size, words)
  }

  private memoComplement?: VersionSet

  /** Memoized: facts on one target share their match sets, and so their complements. */
  complement(): VersionSet {
    if (this.memoComplement) return this.memoComplement
    const full = VersionSet.full(this.size)
    const words = new Uint32Array(this.words.length)
    for (let i = 0; i < words.length; i++) words[i] = ~this.words[i] & full.words[i]
    this.memoComplement = new VersionSet(this.size, words)
    this.memoComplement.memoComplement = this
    return this.memoComplement
  }

  minus(other: VersionSet): VersionSet {
    const words = new Uint32Array(this.words.length)
    for (let i = 0; i < words.length; i++) words[i] = this.words[i] & ~other.words[i]
    return new VersionSet(this.size, words)
  }

  isEmpty(): boolean {
    for (const word of this.words) if (word !== 0) return false
    return true
  }

  isFull(): boolean {
    const last = this.words.length - 1
    for (let i = 0; i < last; i++) if (this.words[i] !== 0xffffffff) return false
    const tail = this.size & 31
    return this.words[last] === (tail === 0 ? 0xffffffff : ((1 << tail) - 1) >>> 0)
  }

  isSubsetOf(other: VersionSet): boolean {
    for (let i = 0; i < this.words.length; i++) if ((this.words[i] & ~other.words[i]) !== 0) return false
    return true
  }

  isDisjointFrom(other: VersionSet): boolean {
    for (let i = 0; i < this.words.length; i++) if ((this.words[i] & other.words[i]) !== 0) return false
    return true
  }

  equals(other: VersionSet): boolean {
    for (let i = 0; i < this.words.length; i++) if (this.words[i] !== other.words[i]) return false
    return true
  }

  /** Indices in ascending order (0 = absent first, then highest version to lowest). */
  *indices(): Generator<number> {
    for (let w = 0; w < this.words.length; w++) {
      let word = this.words[w]
      while (word !== 0) {
        const bit = 31 - Math.clz32(word & -word)
        yield (w << 5) + bit
        word &= word - 1
      }
    }
  }

  /** The lowest version index in the set (the highest version), or undefined. */
  firstVersion(): number | undefined {
    for (const i of this.indices()) if (i !== 0) return i
    return undefined
  }

  private memoKey?: string

  /** A stable key for maps (same domain only). */
  key(): string {
    this.memoKey ??= Array.from(this.words, (w) => w.toString(36)).join('.')
    return this.memoKey
  }
}
