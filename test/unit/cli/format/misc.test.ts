import {appendFile, mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {formatAudit} from '../../../../src/cli/format/audit.js'
import {formatMigration} from '../../../../src/cli/format/migrate.js'
import {formatChange, formatDiscover, formatLayers, formatModuleList} from '../../../../src/cli/format/module.js'
import {formatExcluded, formatPackageWarning, formatValidation} from '../../../../src/cli/format/package.js'
import {keyValues, table} from '../../../../src/cli/format/table.js'
import {appendAudit, auditLogPath, readAudit} from '../../../../src/lib/audit/audit-log.js'
import type {DepResolveResult} from '../../../../src/lib/deps/resolve-workspace.js'
import type {MigrationResult} from '../../../../src/lib/workspace/migrate-to-oci.js'

describe('table and keyValues', () => {
  it('table: upper-case headers, columns as wide as their widest cell, no trailing spaces; no rows is empty', () => {
    expect(
      table(
        ['name', 'v'],
        [
          ['a-long-name', 1],
          ['b', undefined],
        ],
      ),
    ).toBe('NAME         V\na-long-name  1\nb')
    expect(table(['name'], [])).toBe('')
  })

  it('keyValues: aligned values, empty and absent ones left out', () => {
    expect(
      keyValues([
        ['a', 'x'],
        ['longer', 2],
        ['gone', undefined],
        ['blank', ''],
        ['flag', false],
      ]),
    ).toBe('a:      x\nlonger: 2\nflag:   false')
  })
})

describe('audit formatter', () => {
  let home: string
  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'prov-audit-format-'))
  })
  afterEach(async () => {
    await rm(home, {recursive: true, force: true})
  })

  it('a real audit log: who, what, a clipped target, the result; a password in a target never shown', async () => {
    await appendAudit(home, {command: 'oci push', target: `https://alice:s3cret@reg.example/ns/${'x'.repeat(100)}`, result: 'ok', exit: 0})
    await appendAudit(home, {command: 'dep resolve', target: '/ws', result: 'error', exit: 5, error: 'E_RESOLUTION'})
    await appendFile(auditLogPath(home), 'not a record\n')
    const text = formatAudit(await readAudit(home))
    expect(text).not.toContain('s3cret')
    const lines = text.split('\n')
    expect(lines[0]).toMatch(/^TIME\s+WHO\s+COMMAND\s+TARGET\s+RESULT$/)
    expect(lines[1]).toMatch(/oci push\s+https:\/\/alice:\*\*\*@reg\.example\/ns\/x+…\s+ok$/)
    expect(lines[1]).toContain(`${os.hostname()}`)
    expect(lines[2]).toMatch(/dep resolve\s+\/ws\s+error \(exit 5, E_RESOLUTION\)$/)
    expect(lines[3]).toBe('1 unreadable line(s) skipped')
  })

  it('no records says which file was read', () => {
    expect(formatAudit({file: '/h/audit.log', records: [], skipped: 0})).toBe('no audit records (/h/audit.log)')
  })
})

describe('migrate formatter', () => {
  const migration = (over: Partial<MigrationResult>): MigrationResult => ({
    workspace: '/ws',
    configFile: '/ws/config/provisioning.yaml',
    migrated: true,
    dryRun: false,
    source: '/ext',
    registry: 'reg.example',
    namespace: 'ns',
    tlsEnabled: true,
    publish: [],
    rewrites: [],
    missing: [],
    ...over,
  })

  it('already on OCI: nothing to migrate', () => {
    expect(formatMigration(migration({source: undefined, migrated: false}))).toBe('/ws already uses an OCI source (reg.example/ns); nothing to migrate')
  })

  it('a dry run plans; a run publishes, rewrites, warns about missing modules and names the backup', () => {
    const publish = [
      {name: 'redis', version: '1.0.0', dir: '/ext/redis', reference: 'reg.example/ns/redis:1.0.0', digest: `sha256:${'a'.repeat(64)}`, transferred: 0},
    ]
    expect(formatMigration(migration({dryRun: true, publish: publish.map(({digest: _d, transferred: _t, ...p}) => p), tlsEnabled: false})).split('\n')).toEqual(
      [
        'plan: publish 1 extension version(s) from /ext to reg.example/ns',
        '  redis@1.0.0 -> reg.example/ns/redis:1.0.0',
        'would set dependencies.extensions.source_type: oci (registry reg.example, namespace ns, tls off) in /ws/config/provisioning.yaml',
        'nothing was changed (dry run)',
      ],
    )
    expect(
      formatMigration(
        migration({
          publish,
          rewrites: [{at: 'modules.taskservs[0]', from: 'redis', to: 'redis@^1.0.0'}],
          missing: ['etcd'],
          backupFile: '/ws/config/provisioning.yaml.bak',
        }),
      ).split('\n'),
    ).toEqual([
      'published 1 extension version(s) from /ext',
      `  redis@1.0.0 -> reg.example/ns/redis:1.0.0 sha256:${'a'.repeat(12)} (already there)`,
      'set dependencies.extensions.source_type: oci (registry reg.example, namespace ns, tls on) in /ws/config/provisioning.yaml',
      '  modules.taskservs[0]: redis -> redis@^1.0.0',
      'warning: etcd is declared but not in the local source; "dep resolve" will fail on it',
      'previous config kept as /ws/config/provisioning.yaml.bak',
      'next: "provisioning dep resolve" installs them from the registry',
    ])
  })
})

describe('module formatters', () => {
  const resolve: DepResolveResult = {
    workspace: '/ws',
    lockfile: '/ws/l',
    followedLock: false,
    lockWritten: true,
    dryRun: false,
    warnings: [],
    installed: ['redis'],
    unchanged: [],
    removed: [],
    modified: [],
    order: [{name: 'redis', type: 'taskserv', version: '1.0.0', reference: 'r', digest: 'd'}],
    changes: [],
  }

  it('formatChange: what was added, removed or already there, then the resolve', () => {
    const text = formatChange({workspace: '/ws', type: 'taskserv', source: 'oci', added: ['redis'], removed: ['old'], unchanged: ['etcd'], resolve})
    expect(text.split('\n')[0]).toBe('added redis to taskservs; removed old from taskservs; already declared: etcd')
    expect(text).toContain('install order:')
  })

  it('formatModuleList: locked and installed columns; none declared', () => {
    expect(formatModuleList({workspace: '/ws', modules: [{name: 'redis', type: 'taskserv', declared: '^1.0.0', installed: false}]}).split('\n')[1]).toMatch(
      /^taskserv\s+redis\s+\^1\.0\.0\s+-\s+no$/,
    )
    expect(formatModuleList({workspace: '/ws', modules: []})).toBe('no modules declared')
  })

  it('formatDiscover: versions, pre-release only, unknown; nothing found', () => {
    const lines = formatDiscover({
      modules: [
        {name: 'redis', type: 'taskserv', version: '1.0.0', source: 'registry', description: 'cache'},
        {name: 'beta', onlyPrerelease: '0.1.0-rc.1', source: 'local'},
      ],
    }).split('\n')
    expect(lines[1]).toMatch(/^redis\s+taskserv\s+1\.0\.0\s+registry\s+cache$/)
    expect(lines[2]).toMatch(/^beta\s+\?\s+- \(pre-release 0\.1\.0-rc\.1 only: --pre\)\s+local$/)
    expect(formatDiscover({modules: []})).toBe('nothing found')
  })

  it('formatLayers: the provider, the layers and which file shadows which', () => {
    const text = formatLayers({
      name: 'redis',
      type: 'taskserv',
      provider: 'workspace',
      layers: [
        {layer: 'workspace', path: '/ws/taskservs/redis', present: true},
        {layer: 'core', path: '/core/redis', present: false},
      ],
      files: [{file: 'main.k', layer: 'workspace', shadows: ['core']}],
    })
    expect(text).toMatch(
      /^taskserv redis is provided by the workspace layer\n\nLAYER\s+PRESENT\s+PATH\nworkspace\s+yes\s+\/ws\/taskservs\/redis\ncore\s+no\s+\/core\/redis\n\nFILE\s+FROM\s+SHADOWS\nmain\.k\s+workspace\s+core$/,
    )
  })
})

describe('package formatters', () => {
  it('formatExcluded: one line per entry with its rule; nothing excluded', () => {
    expect(
      formatExcluded('./redis', [
        {path: '.git/', rule: '.git/', from: 'default'},
        {path: 'secrets.env', rule: '*.env', from: '.provisioningignore'},
      ]),
    ).toBe('excluded .git/ (default rule .git/)\nexcluded secrets.env (.provisioningignore *.env)')
    expect(formatExcluded('./redis', [])).toBe('./redis: nothing excluded')
  })

  it('formatPackageWarning and formatValidation: each warning with its hint', () => {
    const warning = {
      severity: 'warning' as const,
      field: 'dependancies',
      message: 'unknown field',
      hint: 'did you mean dependencies?',
      suggestion: 'dependencies',
      line: 4,
      column: 1,
    }
    expect(formatPackageWarning('./redis', warning)).toBe('./redis: dependancies: unknown field (did you mean dependencies?)')
    const report = {
      dir: './redis',
      valid: true,
      manifest: {name: 'redis', type: 'taskserv' as const, version: '1.0.0'},
      errors: 0,
      warnings: 1,
      files: [],
      excluded: [],
      problems: [warning],
    }
    expect(formatValidation(report)).toBe(
      'redis@1.0.0 (taskserv) is valid, with 1 warning(s):\n  - dependancies: unknown field (line 4, column 1)\n      did you mean dependencies?',
    )
    expect(formatValidation({...report, warnings: 0, problems: []})).toBe('redis@1.0.0 (taskserv) is valid')
  })
})
