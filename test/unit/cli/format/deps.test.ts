import {describe, expect, it} from 'vitest'

import {
  formatResolve,
  formatResolveWithChanges,
  formatTree,
  formatUpdate,
  formatUpdates,
  formatValidateDeps,
  formatVerify,
  formatWhy,
} from '../../../../src/cli/format/deps.js'
import type {DepResolveResult} from '../../../../src/lib/deps/resolve-workspace.js'

const LONG_NAME = `taskserv-${'k'.repeat(70)}`

const resolved = (over: Partial<DepResolveResult> = {}): DepResolveResult => ({
  workspace: '/ws',
  lockfile: '/ws/config/provisioning.lock',
  followedLock: false,
  lockWritten: true,
  dryRun: false,
  warnings: [],
  installed: ['kubernetes'],
  unchanged: ['containerd'],
  removed: [],
  modified: [],
  order: [
    {name: 'containerd', type: 'taskserv', version: '1.7.2', reference: 'r/ns/containerd:1.7.2', digest: 'sha256:1'},
    {name: 'kubernetes', type: 'taskserv', version: '1.28.0', reference: 'r/ns/kubernetes:1.28.0', digest: 'sha256:2'},
  ],
  changes: [],
  ...over,
})

describe('deps formatters', () => {
  it('formatResolve: the install order with each state, and what was written', () => {
    expect(formatResolve(resolved()).split('\n')).toEqual([
      'install order:',
      '#  NAME        VERSION  TYPE      STATE',
      '1  containerd  1.7.2    taskserv  unchanged',
      '2  kubernetes  1.28.0   taskserv  installed',
      '1 installed, 1 unchanged, 0 removed; resolved, wrote /ws/config/provisioning.lock',
    ])
    expect(formatResolve(resolved({removed: ['old', 'older'], followedLock: true, lockWritten: false}))).toMatch(
      /2 removed \(old, older\); followed the lockfile, lockfile unchanged$/,
    )
    expect(formatResolve(resolved({dryRun: true}))).toMatch(
      /1\s+containerd\s+1\.7\.2\s+taskserv\s+planned\n[^\n]+planned\ndry run: nothing installed, lockfile not written$/,
    )
  })

  it('formatResolve: nothing declared says where to declare', () => {
    expect(formatResolve(resolved({order: []}))).toBe('no dependencies declared (dependencies.extensions.modules is empty)')
  })

  it('formatResolve: a long name widens its column, rows stay aligned', () => {
    const lines = formatResolve(
      resolved({order: [{name: LONG_NAME, type: 'taskserv', version: '1.0.0', reference: 'r', digest: 'd'}], installed: [LONG_NAME]}),
    ).split('\n')
    expect(lines[1].indexOf('VERSION')).toBe(lines[2].indexOf('1.0.0'))
  })

  it('formatResolveWithChanges: changes listed only when something moved or a newer version was held back', () => {
    const first = resolved({changes: [{name: 'containerd', type: 'taskserv', change: 'added', to: '1.7.2'}]})
    expect(formatResolveWithChanges(first)).toBe(formatResolve(first))
    const moved = resolved({
      changes: [
        {name: 'kubernetes', type: 'taskserv', change: 'upgraded', from: '1.27.0', to: '1.28.0', reason: 'workspace range ^1.28'},
        {name: 'containerd', type: 'taskserv', change: 'kept', from: '1.7.2', newestAllowed: '1.7.9', reason: 'locked'},
        {name: 'etcd', type: 'taskserv', change: 'removed', from: '3.5.0'},
      ],
    })
    expect(formatResolveWithChanges(moved)).toBe(
      `${formatResolve(moved)}\nchanges against the lockfile:\n  upgraded kubernetes 1.27.0 -> 1.28.0 (workspace range ^1.28)\n  kept containerd 1.7.2 (locked)\n  removed etcd 3.5.0`,
    )
    expect(formatResolveWithChanges({...moved, followedLock: true})).toBe(formatResolve({...moved, followedLock: true}))
  })

  it('formatValidateDeps and formatVerify', () => {
    expect(formatValidateDeps({workspace: '/ws', valid: true, extensions: 3, lockfile: 'stale', warnings: ['x is deprecated']})).toBe(
      'dependencies of /ws are valid: 3 extension(s) resolve; lockfile stale\nwarning: x is deprecated',
    )
    expect(formatVerify({workspace: '/ws', lockfile: 'provisioning.lock', verified: ['a', 'b'], clean: true})).toBe(
      '2 installed extension(s) of /ws match provisioning.lock file for file',
    )
    expect(formatVerify({workspace: '/ws', lockfile: 'provisioning.lock', verified: [], clean: true})).toBe(
      '0 installed extension(s) of /ws match provisioning.lock file for file',
    )
  })

  it('formatTree: the tree, a reverse heading, a note when resolved now; nothing declared', () => {
    const tree = [
      {name: 'kubernetes', version: '1.28.0', type: 'taskserv', dependencies: [{name: 'containerd', version: '1.7.2', type: 'taskserv', dependencies: []}]},
    ]
    const base = {workspace: '/ws', roots: ['kubernetes'], extensions: []}
    const forward = formatTree({...base, source: 'lockfile', tree, reverse: false})
    expect(forward).toContain('kubernetes')
    expect(forward).toContain('containerd')
    expect(forward).not.toContain('resolved now')
    expect(formatTree({...base, source: 'resolved', tree, reverse: true})).toMatch(
      /^who requires kubernetes, up to the workspace:\n[\s\S]+\n\(resolved now; the lockfile is missing or out of date: run "provisioning dep resolve"\)$/,
    )
    expect(formatTree({...base, source: 'lockfile', tree: [], reverse: false})).toBe('no dependencies declared')
  })

  it('formatUpdates: each row says why; the summary says what "dep update" would do', () => {
    const text = formatUpdates({
      workspace: '/ws',
      outdated: 2,
      republished: 0,
      extensions: [
        {name: 'a', type: 'taskserv', wanted: '1.0.0', outdated: true},
        {name: 'b', type: 'taskserv', locked: '1.0.0', wanted: '1.1.0', latest: '2.0.0', outdated: true},
        {name: 'c', type: 'taskserv', locked: '1.0.0', wanted: '1.0.0', latest: '1.0.0', outdated: false},
      ],
    })
    const lines = text.split('\n')
    expect(lines[1]).toMatch(/^a\s+-\s+1\.0\.0\s+-\s+not locked yet$/)
    expect(lines[2]).toMatch(/update available$/)
    expect(lines[3]).toMatch(/^c\s+1\.0\.0\s+1\.0\.0\s+1\.0\.0$/)
    expect(lines[4]).toBe('2 outdated (exit 1): "provisioning dep update" takes the wanted versions of 2')
    const heldOutside = formatUpdates({
      workspace: '/ws',
      outdated: 1,
      republished: 0,
      extensions: [{name: 'c', type: 't', locked: '1.0.0', wanted: '1.0.0', latest: '2.0.0', outdated: true}],
    })
    expect(heldOutside).toMatch(
      /newer outside your ranges\n1 outdated \(exit 1\): every locked version is the newest your ranges allow; a newer version outside your ranges needs a wider range/,
    )
    expect(formatUpdates({workspace: '/ws', outdated: 0, republished: 0, extensions: []})).toBe('\neverything is up to date')
  })

  it('formatWhy: the declaring key, each chain, and how many more were left out', () => {
    const text = formatWhy({
      workspace: '/ws',
      name: 'containerd',
      version: '1.7.2',
      type: 'taskserv',
      totalPaths: '12',
      omittedPaths: '11',
      warnings: [],
      declaredBy: {key: 'dependencies.extensions.modules.taskservs', range: '>=1.7.0', location: 'config/provisioning.yaml:12'},
      paths: [
        [
          {name: 'kubernetes', version: '1.28.0', range: '^1.28.0', declaredAt: 'config/provisioning.yaml:10'},
          {name: 'containerd', version: '1.7.2', range: '>=1.7.0', optional: true},
        ],
        [{name: 'containerd', version: '1.7.2', declaredAt: 'config/provisioning.yaml:12'}],
      ],
    })
    expect(text.split('\n')).toEqual([
      'containerd@1.7.2 (taskserv) is required through 12 chain(s):',
      '  declared by the workspace: config/provisioning.yaml:12, dependencies.extensions.modules.taskservs (>=1.7.0)',
      '  workspace (config/provisioning.yaml:10: kubernetes ^1.28.0) -> kubernetes@1.28.0 (containerd >=1.7.0, optional) -> containerd@1.7.2',
      '  … 11 more chain(s) not shown (raise --limit to see more)',
    ])
  })

  it('formatUpdate: the changes, tallies, what was held back; nothing declared', () => {
    const text = formatUpdate({
      ...resolved(),
      acceptedRepublished: [],
      heldBack: [{name: 'containerd', version: '1.7.2', reason: 'kubernetes requires <1.8'}],
      changes: [
        {name: 'kubernetes', type: 'taskserv', change: 'upgraded', from: '1.27.0', to: '1.28.0'},
        {name: 'new', type: 'taskserv', change: 'added', to: '0.1.0'},
      ],
    })
    expect(text.split('\n').slice(-2)).toEqual([
      'containerd stays at 1.7.2: kubernetes requires <1.8',
      '1 upgraded, 0 downgraded, 1 added, 0 removed; wrote /ws/config/provisioning.lock',
    ])
    expect(text).toMatch(/new\s+taskserv\s+-\s+0\.1\.0\s+added/)
    expect(
      formatUpdate({...resolved({dryRun: true}), acceptedRepublished: [], heldBack: [], changes: [{name: 'a', type: 't', change: 'removed', from: '1.0.0'}]}),
    ).toMatch(/\ndry run \(nothing installed, lockfile not written\): would be 0 upgraded, 0 downgraded, 0 added, 1 removed$/)
    expect(formatUpdate({...resolved(), acceptedRepublished: [], heldBack: [], changes: []})).toBe(
      'no dependencies declared (dependencies.extensions.modules is empty)',
    )
  })
})
