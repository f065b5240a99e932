import {describe, expect, it} from 'vitest'

import {formatRepoSync} from '../../../../src/cli/format/repo-sync.js'

describe('formatRepoSync', () => {
  const synced = {
    repository: 'default',
    url: 'oci://reg.example/ns',
    durationMs: 1234,
    ok: true as const,
    extensions: 2,
    versions: 5,
    added: 1,
    removed: 0,
    changed: 0,
    requests: {listings: 3, resolves: 5, manifests: 1, configs: 1},
    alreadyFresh: false,
    truncated: [],
    skipped: [],
  }

  it('one row per repository: counts, requests and time; skipped tags, bounds and failures (with their hint) below the table', () => {
    const text = formatRepoSync({
      exit: 6,
      repositories: [
        {...synced, skipped: ['ns/odd:1.0.0: oci://reg.example/ns/odd@sha256:aa is an empty index']},
        {...synced, repository: 'mirror', alreadyFresh: true, added: 0, truncated: ['ns/big: 1200 version tags, the highest 1000 are indexed']},
        {
          repository: 'gone',
          url: 'oci://127.0.0.1:9/x',
          durationMs: 50,
          ok: false,
          error: {code: 'E_REGISTRY', message: 'cannot reach 127.0.0.1:9', exit: 6, hint: 'is the registry running?'},
        },
      ],
    })
    const lines = text.split('\n')
    expect(lines[0]).toMatch(/^REPOSITORY\s+EXTENSIONS\s+VERSIONS\s+ADDED\s+REMOVED\s+CHANGED\s+REQUESTS\s+TIME$/)
    expect(lines[1]).toMatch(/^default\s+2\s+5\s+1\s+0\s+0\s+10\s+1\.2s$/)
    expect(lines[2]).toMatch(/^mirror\s+2\s+5\s+0\s+0\s+0\s+0 \(synced meanwhile\)\s+1\.2s$/)
    expect(lines[3]).toMatch(/^gone\s+failed\s+0\.1s$/)
    expect(lines.slice(5)).toEqual([
      'default: skipped ns/odd:1.0.0: oci://reg.example/ns/odd@sha256:aa is an empty index',
      'mirror: ns/big: 1200 version tags, the highest 1000 are indexed',
      'gone (oci://127.0.0.1:9/x): cannot reach 127.0.0.1:9',
      '  hint: is the registry running?',
    ])
  })

  it('nothing to sync says how to declare a repository', () => {
    expect(formatRepoSync({exit: 0, repositories: []})).toContain('provisioning repo add NAME URL')
  })
})
