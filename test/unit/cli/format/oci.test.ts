import {describe, expect, it} from 'vitest'

import {
  describeEvent,
  formatBatchPull,
  formatBatchPush,
  formatBytes,
  formatCopy,
  formatIndexAge,
  formatInspect,
  formatList,
  formatOciConfig,
  formatPull,
  formatPush,
  formatSearch,
  formatTag,
  formatTags,
  latestCell,
  transferListeners,
} from '../../../../src/cli/format/oci.js'
import type {OciConfigResult} from '../../../../src/lib/oci/ops/config.js'
import type {PullResult} from '../../../../src/lib/oci/ops/pull.js'
import type {PushResult} from '../../../../src/lib/oci/ops/push.js'

const DIGEST = `sha256:${'ab12cd34ef56'.repeat(5)}abcd`
const LONG_NAME = `an-extension-with-a-very-long-name-${'x'.repeat(60)}`

const push = (over: Partial<PushResult> = {}): PushResult => ({
  name: 'redis',
  version: '1.2.0',
  reference: 'reg.example/ns/redis:1.2.0',
  digest: DIGEST,
  size: 1234,
  engine: 'native',
  dryRun: false,
  excluded: [],
  warnings: [],
  ...over,
})
const pull = (over: Partial<PullResult> = {}): PullResult => ({
  reference: 'reg.example/ns/redis:1.2.0',
  digest: DIGEST,
  name: 'redis',
  version: '1.2.0',
  output: '/tmp/out/redis',
  files: 3,
  bytes: 2048,
  cached: false,
  engine: 'native',
  ...over,
})

describe('oci formatters', () => {
  it('formatBytes: bytes, then KiB/MiB/GiB with one decimal, never beyond GiB', () => {
    expect([0, 1023, 1024, 1536, 1024 ** 2, 5 * 1024 ** 3, 4096 * 1024 ** 3].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 KiB',
      '1.0 MiB',
      '5.0 GiB',
      '4096.0 GiB',
    ])
  })

  it('describeEvent and transferListeners: a short digest, the action and the size', () => {
    const descriptor = {mediaType: 'application/octet-stream', digest: DIGEST, size: 2048}
    expect(describeEvent({kind: 'blob', descriptor, action: 'transferred'})).toBe('transferred blob ab12cd34ef56 (2.0 KiB)')
    expect(describeEvent({kind: 'manifest', descriptor, action: 'unchanged'})).toBe('manifest ab12cd34ef56 unchanged')
    expect(describeEvent({kind: 'manifest', descriptor, action: 'pushed', referrer: true})).toBe('manifest ab12cd34ef56 pushed (referrer)')
    const lines: string[] = []
    const meters: Array<[string, number, number]> = []
    const listeners = transferListeners(
      (line) => lines.push(line),
      (label, sent, total) => meters.push([label, sent, total]),
    )
    listeners.onEvent?.({kind: 'blob', descriptor, action: 'mounted'})
    listeners.onBytes?.(descriptor, 1000)
    expect(lines).toEqual(['mounted blob ab12cd34ef56 (2.0 KiB)'])
    expect(meters).toEqual([['blob ab12cd34ef56', 1000, 2048]])
  })

  it('formatPush: pushed or would push, with blob counts only when known, mounts only when any', () => {
    expect(formatPush(push())).toBe(`pushed reg.example/ns/redis:1.2.0\ndigest: ${DIGEST}`)
    expect(formatPush(push({dryRun: true}))).toBe(`would push reg.example/ns/redis:1.2.0\ndigest: ${DIGEST}`)
    expect(formatPush(push({blobs: 2, transferred: 1, skipped: 1, mounted: 0}))).toBe(
      `pushed reg.example/ns/redis:1.2.0\ndigest: ${DIGEST} (1 blob(s) uploaded, 1 already present)`,
    )
    expect(formatPush(push({blobs: 3, transferred: 1, skipped: 0, mounted: 2}))).toMatch(/\(1 blob\(s\) uploaded, 0 already present, 2 mounted\)$/)
  })

  it('formatBatchPush and formatBatchPull: one line each and a total; an empty batch still totals', () => {
    expect(formatBatchPush({pushed: [push({transferred: 2}), push({reference: 'r/ns/b:1.0.0', dryRun: true})]})).toBe(
      `pushed reg.example/ns/redis:1.2.0  ${DIGEST}\nwould push r/ns/b:1.0.0  ${DIGEST}\n2 extension(s), 2 blob(s) uploaded`,
    )
    expect(formatBatchPush({pushed: []})).toBe('\n0 extension(s), 0 blob(s) uploaded')
    expect(formatBatchPull({pulled: [pull(), pull({cached: true, output: '/o/b'})]})).toBe(
      'pulled reg.example/ns/redis:1.2.0 into /tmp/out/redis\npulled reg.example/ns/redis:1.2.0 into /o/b (from cache)',
    )
    expect(formatBatchPull({pulled: []})).toBe('')
  })

  it('formatPull: files, size, cache and digest', () => {
    expect(formatPull(pull({cached: true}))).toBe(`pulled reg.example/ns/redis:1.2.0 into /tmp/out/redis (3 file(s), 2.0 KiB, from cache)\ndigest: ${DIGEST}`)
  })

  it('formatTags: a table, non-semver tags marked; no tags says so with the repository', () => {
    const tags = formatTags({
      name: LONG_NAME,
      repository: `ns/${LONG_NAME}`,
      registry: 'reg.example',
      tags: [
        {tag: '1.0.0', version: '1.0.0', reference: `reg.example/ns/${LONG_NAME}:1.0.0`},
        {tag: 'latest', reference: `reg.example/ns/${LONG_NAME}:latest`},
      ],
    })
    const lines = tags.split('\n')
    expect(lines[0]).toMatch(/^ARTIFACT\s+VERSION\s+REFERENCE$/)
    expect(lines[2]).toContain('latest (not semver)')
    // Columns stay aligned whatever the name's length.
    expect(lines.map((l) => l.indexOf('reg.example')).slice(1)).toEqual([lines[0].indexOf('REFERENCE'), lines[0].indexOf('REFERENCE')])
    expect(formatTags({name: 'redis', repository: 'ns/redis', registry: 'reg.example', tags: []})).toBe('ns/redis has no tags on reg.example')
    expect(formatTags({name: 'redis', repository: '', registry: 'reg.example', tags: []})).toBe('redis has no tags on reg.example')
  })

  it('formatTag: one line per tag, then the digest', () => {
    expect(
      formatTag({
        source: 'r/ns/a:1.0.0',
        digest: DIGEST,
        tags: [
          {tag: 'stable', reference: 'r/ns/a:stable', digest: DIGEST},
          {tag: 'prod', reference: 'r/ns/a:prod', digest: DIGEST},
        ],
      }),
    ).toBe(`tagged r/ns/a:stable\ntagged r/ns/a:prod\ndigest: ${DIGEST}`)
  })

  it('formatInspect: head, layers, annotations or (none), the extension manifest when there is one', () => {
    const text = formatInspect({
      reference: 'r/ns/a:1.0.0',
      digest: DIGEST,
      size: 512,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {mediaType: 'application/vnd.provisioning.extension.config.v1+json', digest: DIGEST, size: 99},
      layers: [
        {mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: DIGEST, size: 4096, annotations: {'org.opencontainers.image.title': 'a.tar.gz'}},
      ],
      annotations: {},
      referrers: [],
    })
    expect(text).toContain('reference:     r/ns/a:1.0.0')
    expect(text).not.toContain('artifact type')
    expect(text).toContain(`config:        application/vnd.provisioning.extension.config.v1+json ${DIGEST} (99 B)`)
    expect(text).toMatch(/LAYER\s+MEDIA TYPE\s+SIZE\s+TITLE\n0\s+application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip\s+4\.0 KiB\s+a\.tar\.gz/)
    expect(text).toContain('annotations:\n  (none)')
    expect(text).toContain('referrers: (none)')
    const withExtension = formatInspect({
      reference: 'r',
      digest: DIGEST,
      size: 1,
      mediaType: 'm',
      artifactType: 'application/vnd.provisioning.extension.v1',
      config: {mediaType: 'c', digest: DIGEST, size: 2},
      layers: [],
      annotations: {'org.opencontainers.image.version': '1.0.0'},
      extension: {name: 'a', version: '1.0.0'},
      referrers: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: DIGEST,
          size: 700,
          artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
          annotations: {'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1'},
        },
      ],
    })
    expect(withExtension).toMatch(
      /referrers:\nARTIFACT TYPE\s+DIGEST\s+SIZE\s+ANNOTATIONS\napplication\/vnd\.dev\.sigstore\.bundle\.v0\.3\+json\s+sha256:\S+\s+700 B\s+dev\.sigstore\.bundle\.predicateType=https:\/\/slsa\.dev\/provenance\/v1\n/,
    )
    expect(withExtension).toContain('artifact type: application/vnd.provisioning.extension.v1')
    expect(withExtension).toContain('annotations:\n  org.opencontainers.image.version: 1.0.0')
    expect(withExtension.endsWith('extension manifest:\n{\n  "name": "a",\n  "version": "1.0.0"\n}')).toBe(true)
  })

  it('formatList and latestCell: latest, pre-release only, none; an empty namespace says so', () => {
    expect(latestCell({latest: '2.0.0'})).toBe('2.0.0')
    expect(latestCell({onlyPrerelease: '1.0.0-rc.1'})).toBe('- (pre-release 1.0.0-rc.1 only: --pre)')
    expect(latestCell({})).toBe('-')
    const list = formatList({
      registry: 'reg.example',
      namespace: 'ns',
      extensions: [
        {name: 'redis', repository: 'ns/redis', latest: '2.0.0', versions: 3},
        {name: LONG_NAME, repository: `ns/${LONG_NAME}`, onlyPrerelease: '0.1.0-beta', versions: 1},
      ],
    })
    expect(list.split('\n')).toHaveLength(3)
    expect(list).toContain(`- (pre-release 0.1.0-beta only: --pre)`)
    expect(formatList({registry: 'reg.example', namespace: 'ns', extensions: []})).toBe('no extensions in reg.example/ns')
  })

  it('formatSearch and formatIndexAge: matches name their repository; none found says how old the indexes are', () => {
    const part = {repository: 'default', url: 'oci://reg.example/ns', synced: '2026-01-01T00:00:00Z', missing: false}
    const base = {term: 'cache', repositories: [{...part, ageSeconds: 90, refreshed: false}]}
    expect(formatSearch({...base, fromCache: false, indexAgeSeconds: 0, matches: []})).toBe('no extension matches "cache" in default')
    expect(formatSearch({...base, fromCache: true, indexAgeSeconds: 90, matches: []})).toBe(
      'no extension matches "cache" in default (index from 90s ago; pushed elsewhere since? run with --refresh)',
    )
    expect(formatIndexAge({repositories: [{...part, ageSeconds: 600, refreshed: false}]})).toBe('index: default synced 10 min ago; --refresh syncs them now')
    expect(formatIndexAge({repositories: [{...part, ageSeconds: 3 * 3600, refreshed: false}]})).toContain('synced 3 h ago')
    expect(
      formatIndexAge({
        repositories: [
          {...part, ageSeconds: 0, refreshed: true},
          {repository: 'internal', url: 'oci://other/ns', refreshed: false, missing: true, error: 'other is unreachable'},
        ],
      }),
    ).toBe('index: default synced now, internal no index (sync failed: other is unreachable); "provisioning repo sync internal" builds what is missing')
    const found = formatSearch({
      ...base,
      fromCache: false,
      indexAgeSeconds: 0,
      matches: [{name: 'redis', repository: 'default', path: 'ns/redis', versions: ['1.0.0'], tags: ['1.0.0'], latest: '1.0.0'}],
    })
    expect(found.split('\n')[1]).toMatch(/^redis\s+-\s+1\.0\.0\s+default$/)
  })

  it('formatCopy: source, destination, counts when known', () => {
    expect(formatCopy({source: 'a/ns/x:1', destination: 'b/ns/x:1', digest: DIGEST, engine: 'native'})).toBe(`copied a/ns/x:1 -> b/ns/x:1\ndigest: ${DIGEST}`)
    expect(formatCopy({source: 'a', destination: 'b', digest: DIGEST, engine: 'native', blobs: 2, transferred: 1, skipped: 1, mounted: 0})).toBe(
      `copied a -> b (1 transferred, 1 already present, 0 mounted)\ndigest: ${DIGEST}`,
    )
    expect(formatCopy({source: 'a', destination: 'b', digest: DIGEST, engine: 'native', referrers: 2})).toBe(
      `copied a -> b\ndigest: ${DIGEST}\nreferrers: 2 copied along (signatures and other attached artifacts)`,
    )
  })

  it('formatOciConfig: where credentials come from, never more; absent CA file left out', () => {
    const config: OciConfigResult = {
      engine: 'native',
      reason: 'oci.tool = native',
      registry: 'reg.example',
      namespace: 'ns',
      transport: 'https',
      proxy: 'http://proxy.example:3128 (from HTTPS_PROXY, with credentials, not shown)',
      concurrency: 4,
      timeoutSeconds: 30,
      minTransferRateKiB: 32,
      retries: 3,
      cacheDir: '/home/u/.cache/provisioning/oci',
      credentials: 'docker config (~/.docker/config.json)',
    }
    const text = formatOciConfig(config)
    expect(text.split('\n')).toEqual([
      'engine:      native (oci.tool = native)',
      'registry:    reg.example',
      'namespace:   ns',
      'transport:   https',
      'proxy:       http://proxy.example:3128 (from HTTPS_PROXY, with credentials, not shown)',
      'credentials: docker config (~/.docker/config.json)',
      'concurrency: 4',
      'timeout:     30s idle, total deadline + size at 32 KiB/s; 3 retries',
      'cache:       /home/u/.cache/provisioning/oci',
    ])
  })
})
