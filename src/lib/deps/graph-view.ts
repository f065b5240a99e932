import type {LockedExtension} from './lockfile.js'

export interface TreeNode {
  name: string
  version: string
  type: string
  /** The repository it comes from, when the workspace resolves from repositories. */
  repository?: string
  /** Shown in full elsewhere in the tree (like npm's "deduped"). */
  shared?: boolean
  optional?: boolean
  /** Reverse tree: the workspace declares it (the chain ends here, though others may require it too). */
  declared?: boolean
  /** --depth cut its children: `hidden` of them are not shown. */
  truncated?: boolean
  hidden?: number
  dependencies: TreeNode[]
}

type Neighbours = (name: string) => Array<readonly [name: string, optional: boolean]>

/**
 * A tree from `roots` following `neighbours`, sorted by name. A node expanded once is marked
 * shared wherever it appears again; a node whose children --depth cuts is marked truncated
 * with how many, and is expanded later if it appears again higher up (so "shared" always
 * means "shown in full elsewhere").
 */
function growTree(extensions: LockedExtension[], roots: string[], neighbours: Neighbours, depth: number, declared?: ReadonlySet<string>): TreeNode[] {
  const byName = new Map(extensions.map((e) => [e.name, e]))
  const expanded = new Set<string>()
  const visit = (name: string, level: number, optional: boolean): TreeNode | undefined => {
    const e = byName.get(name)
    if (!e) return undefined
    const node: TreeNode = {
      name,
      version: e.version,
      type: e.type,
      ...(e.repository ? {repository: e.repository} : {}),
      dependencies: [],
      ...(optional ? {optional: true} : {}),
      ...(declared?.has(name) ? {declared: true} : {}),
    }
    if (expanded.has(name)) return {...node, shared: true}
    const children = neighbours(name)
      .filter(([child]) => byName.has(child))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    if (children.length > 0 && level >= depth) return {...node, truncated: true, hidden: children.length}
    expanded.add(name)
    for (const [child, isOptional] of children) node.dependencies.push(visit(child, level + 1, isOptional) as TreeNode)
    return node
  }
  return [...roots]
    .sort()
    .map((r) => visit(r, 0, false))
    .filter((n): n is TreeNode => n !== undefined)
}

/** The resolved graph as a tree from the declared modules (or one name), each node's dependencies below it. */
export function buildTree(extensions: LockedExtension[], roots: string[], depth = Number.POSITIVE_INFINITY): TreeNode[] {
  const byName = new Map(extensions.map((e) => [e.name, e]))
  const dependencies: Neighbours = (name) => {
    const e = byName.get(name) as LockedExtension
    return [...Object.keys(e.dependencies).map((d) => [d, false] as const), ...Object.keys(e.optional).map((d) => [d, true] as const)]
  }
  return growTree(extensions, roots, dependencies, depth)
}

/** Who requires each name (hard or optional), from the locked edges. */
export function dependentsOf(extensions: LockedExtension[]): Map<string, Array<readonly [name: string, optional: boolean]>> {
  const dependents = new Map<string, Array<readonly [string, boolean]>>(extensions.map((e) => [e.name, []]))
  for (const e of extensions) {
    for (const d of Object.keys(e.dependencies)) dependents.get(d)?.push([e.name, false])
    for (const d of Object.keys(e.optional)) dependents.get(d)?.push([e.name, true])
  }
  return dependents
}

/**
 * `dep tree NAME --reverse`: NAME at the top, below each node the extensions that require
 * it, up to the ones the workspace declares (marked declared).
 */
export function buildReverseTree(extensions: LockedExtension[], name: string, declared: ReadonlySet<string>, depth = Number.POSITIVE_INFINITY): TreeNode[] {
  const dependents = dependentsOf(extensions)
  return growTree(extensions, [name], (n) => dependents.get(n) ?? [], depth, declared)
}

export function renderTree(nodes: TreeNode[], options: {reverse?: boolean} = {}): string {
  const lines: string[] = []
  const optional = options.reverse ? ' (optionally)' : ' (optional)'
  const walk = (list: TreeNode[], prefix: string, more?: number) => {
    const items = [...list.map((node) => ({node})), ...(more ? [{more}] : [])]
    items.forEach((item, i) => {
      const last = i === items.length - 1
      const branch = `${prefix}${last ? '└── ' : '├── '}`
      if (!('node' in item)) {
        lines.push(`${branch}… ${item.more} more (raise --depth to see them)`)
        return
      }
      const {node} = item
      lines.push(
        `${branch}${node.name}@${node.version}${node.repository ? ` (${node.repository})` : ''}${node.optional ? optional : ''}${node.declared ? ' (declared by the workspace)' : ''}${node.shared ? ' (*)' : ''}`,
      )
      walk(node.dependencies, `${prefix}${last ? '    ' : '│   '}`, node.hidden)
    })
  }
  nodes.forEach((root) => {
    lines.push(
      `${root.name}@${root.version} (${root.type}${root.repository ? `, ${root.repository}` : ''})${root.declared ? ' (declared by the workspace)' : ''}`,
    )
    walk(root.dependencies, '', root.hidden)
  })
  if (lines.some((l) => l.endsWith('(*)')))
    lines.push('', `(*) shared: its ${options.reverse ? 'dependents are' : 'dependencies are'} shown where it appears in full`)
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
