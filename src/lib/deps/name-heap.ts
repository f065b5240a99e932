/** A binary min-heap of names ordered by a rank (then name); duplicates are allowed. */
export class NameHeap {
  private readonly items: string[] = []

  constructor(private readonly rank: (name: string) => number) {}

  private less(a: string, b: string): boolean {
    const ra = this.rank(a)
    const rb = this.rank(b)
    return ra < rb || (ra === rb && a < b)
  }

  push(name: string): void {
    const items = this.items
    items.push(name)
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1
      if (!this.less(items[i], items[parent])) break
      ;[items[i], items[parent]] = [items[parent], items[i]]
      i = parent
    }
  }

  pop(): string | undefined {
    const items = this.items
    if (items.length === 0) return undefined
    const top = items[0]
    const last = items.pop() as string
    if (items.length > 0) {
      items[0] = last
      for (let i = 0; ;) {
        const left = 2 * i + 1
        const right = left + 1
        let smallest = i
        if (left < items.length && this.less(items[left], items[smallest])) smallest = left
        if (right < items.length && this.less(items[right], items[smallest])) smallest = right
        if (smallest === i) break
        ;[items[i], items[smallest]] = [items[smallest], items[i]]
        i = smallest
      }
    }
    return top
  }
}
