import type {LockedExtension} from './lockfile.js'

export interface TreeNode {
  name: string
  version: string
  type: string
  /** Shown in full elsewhere in the tree (like npm's "deduped"). */
  shared?: boolean
  optional?: boolean
  dependencies: TreeNode[]
}

/**
 * The resolved graph as a tree from the declared modules (or one name), each node's
 * dependencies below it; a node already shown is marked shared and not expanded again.
 */
export function buildTree(extensions: LockedExtension[], roots: string[], depth = Number.POSITIVE_INFINITY): TreeNode[] {
  const byName = new Map(extensions.map((e) => [e.name, e]))
  const shown = new Set<string>()
  const visit = (name: string, level: number, optional: boolean): TreeNode | undefined => {
    const e = byName.get(name)
    if (!e) return undefined
    const node: TreeNode = {name, version: e.version, type: e.type, dependencies: [], ...(optional ? {optional: true} : {})}
    if (shown.has(name)) return {...node, shared: true}
    shown.add(name)
    if (level >= depth) return node
    const children = [...Object.keys(e.dependencies).map((d) => [d, false] as const), ...Object.keys(e.optional).map((d) => [d, true] as const)]
      .sort(([a], [b]) => (a < b ? -1 : 1))
    for (const [child, isOptional] of children) {
      const sub = visit(child, level + 1, isOptional)
      if (sub) node.dependencies.push(sub)
    }
    return node
  }
  return [...roots].sort().map((r) => visit(r, 0, false)).filter((n): n is TreeNode => n !== undefined)
}

export function renderTree(nodes: TreeNode[]): string {
  const lines: string[] = []
  const walk = (list: TreeNode[], prefix: string) => list.forEach((node, i) => {
    const last = i === list.length - 1
    const label = `${node.name}@${node.version}${node.optional ? ' (optional)' : ''}${node.shared ? ' (*)' : ''}`
    lines.push(`${prefix}${last ? '└── ' : '├── '}${label}`)
    walk(node.dependencies, `${prefix}${last ? '    ' : '│   '}`)
  })
  nodes.forEach((root) => {
    lines.push(`${root.name}@${root.version} (${root.type})`)
    walk(root.dependencies, '')
  })
  if (lines.some((l) => l.endsWith('(*)'))) lines.push('', '(*) shared: shown in full above')
  return lines.join('\n')
}

/** `dep graph`: Graphviz dot or Mermaid; hard edges solid, optional edges dashed. */
export function renderGraph(extensions: LockedExtension[], format: 'dot' | 'mermaid'): string {
  const sorted = [...extensions].sort((a, b) => (a.name < b.name ? -1 : 1))
  const id = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_')
  if (format === 'dot') {
    const lines = ['digraph dependencies {', '  rankdir=LR;', '  node [shape=box];']
    for (const e of sorted) lines.push(`  ${id(e.name)} [label="${e.name}\\n${e.version}"];`)
    for (const e of sorted) {
      for (const d of Object.keys(e.dependencies).sort()) lines.push(`  ${id(e.name)} -> ${id(d)};`)
      for (const d of Object.keys(e.optional).sort()) lines.push(`  ${id(e.name)} -> ${id(d)} [style=dashed, label="optional"];`)
    }
    lines.push('}')
    return lines.join('\n')
  }
  const lines = ['graph LR']
  for (const e of sorted) lines.push(`  ${id(e.name)}["${e.name} ${e.version}"]`)
  for (const e of sorted) {
    for (const d of Object.keys(e.dependencies).sort()) lines.push(`  ${id(e.name)} --> ${id(d)}`)
    for (const d of Object.keys(e.optional).sort()) lines.push(`  ${id(e.name)} -.->|optional| ${id(d)}`)
  }
  return lines.join('\n')
}
