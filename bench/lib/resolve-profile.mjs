// Summarizes a V8 CPU profile (`node --cpu-prof`) for the resolver benchmark: sampled time
// by where the code lives (Node internals, each package, the project's dist/ folders, GC,
// idle), the top functions by self time, and the project's functions by inclusive time.
import {readFileSync} from 'node:fs'

function groupOf(frame) {
  const {functionName, url} = frame
  if (functionName === '(garbage collector)') return 'GC'
  if (functionName === '(idle)') return 'idle (waiting on I/O)'
  if (functionName === '(program)') return '(program): V8 compiling, parsing, runtime'
  if (!url) return '(native)'
  if (url.startsWith('node:')) return 'node internals (module loader, fs, …)'
  const nm = url.lastIndexOf('/node_modules/')
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/')
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]
  }
  const dist = url.indexOf('/dist/')
  if (dist >= 0) return `dist/${url.slice(dist + '/dist/'.length).split('/').slice(0, -1).join('/') || '.'}`
  if (url.includes('/bin/')) return 'bin'
  return 'other'
}

const frameName = (frame) => {
  const file = frame.url ? frame.url.split('/').slice(-2).join('/') : ''
  return `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`
}

export function summarizeProfile(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const selfUs = new Map()
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  let total = 0
  const groups = new Map()
  const self = new Map()
  const inclusive = new Map()
  for (const [id, us] of selfUs) {
    total += us
    const node = byId.get(id)
    const g = groupOf(node.callFrame)
    groups.set(g, (groups.get(g) ?? 0) + us)
    const name = frameName(node.callFrame)
    self.set(name, (self.get(name) ?? 0) + us)
    const seen = new Set()
    for (let x = id; x !== undefined; x = parent.get(x)) {
      const frame = byId.get(x).callFrame
      if (!frame.url.includes('/dist/') || frame.url.includes('/node_modules/')) continue
      const key = frameName(frame)
      if (seen.has(key)) continue
      seen.add(key)
      inclusive.set(key, (inclusive.get(key) ?? 0) + us)
    }
  }
  const sorted = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({name, ms: us / 1000}))
  return {file, totalMs: total / 1000, groups: sorted(groups, 12), top: sorted(self, 25), projectInclusive: sorted(inclusive, 25)}
}
