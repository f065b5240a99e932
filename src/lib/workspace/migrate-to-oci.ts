import {access, copyFile, readFile} from 'node:fs/promises'
import path from 'node:path'

import type {LoadedConfig} from '../config/loader.js'
import {declaredSourceFields, type DeclaredModule, parseDeclaration} from '../deps/declaration.js'
import {BusyError, ConfigError} from '../errors.js'
import {formatReference, parseReference, withTag} from '../oci/reference.js'
import {ociSettingsFrom} from '../oci/settings.js'
import {withTarget} from '../oci/ops/session.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {MODULES_KEY, openConfigDocument} from './declaration-edit.js'
import {requireWorkspace, workspaceConfigFile} from './discover.js'
import {assertWorkspaceWritable} from './lock/status.js'

export interface MigrationOptions {
  /** The config of the workspace to migrate (the one NAME names). */
  config: LoadedConfig
  name: string
  dryRun: boolean
  /** Target registry and namespace; default: the workspace's oci.registry / oci.namespace. */
  registry?: string
  namespace?: string
  insecure?: boolean
  concurrency?: number
}

export interface PlannedPublish {
  name: string
  version: string
  type?: string
  dir: string
  reference: string
  digest?: string
  transferred?: number
  skipped?: number
}

export interface DeclarationRewrite {
  at: string
  from: string
  to: string
}

export interface MigrationResult {
  workspace: string
  configFile: string
  /** false: the workspace already uses an OCI source; nothing was done. */
  migrated: boolean
  dryRun: boolean
  source?: string
  registry: string
  namespace: string
  tlsEnabled: boolean
  publish: PlannedPublish[]
  rewrites: DeclarationRewrite[]
  /** Declared modules the local source does not hold: the next `dep resolve` would fail on them. */
  missing: string[]
  backupFile?: string
}

/** `config/provisioning.yaml.local-source.bak`, or `.bak.1`, `.bak.2`… when one exists. */
async function freeBackupName(file: string): Promise<string> {
  const base = `${file}.local-source.bak`
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? base : `${base}.${n}`
    const taken = await access(candidate).then(
      () => true,
      () => false,
    )
    if (!taken) return candidate
  }
}

/**
 * `workspace migrate-to-oci`: publishes every extension of the workspace's local source to
 * the registry, and only when all are published rewrites the declaration to that registry
 * (the old file kept as a backup), so a failed push leaves the workspace as it was.
 */
export async function migrateToOci(options: MigrationOptions): Promise<MigrationResult> {
  const loaded = options.config
  const ref = requireWorkspace({workspace: loaded.workspace, warning: loaded.workspaceWarning})
  const workspace = ref.path
  const configFile = workspaceConfigFile(workspace)
  if (!options.dryRun) await assertWorkspaceWritable(ref, loaded.values, 'migrate it to OCI')

  // Target: the flags, else what the workspace already declares for OCI, else oci.*.
  const declared = declaredSourceFields(loaded.values)
  // A registry the workspace declares is a target like a declared source: the user's token
  // still goes only to the user's own registry (settings.userRegistry); a --registry flag is the user's.
  const declaredTarget = {registry: options.registry ? undefined : declared.ociRegistry, namespace: options.namespace ?? declared.ociNamespace}
  const overrides = {insecure: options.insecure, concurrency: options.concurrency, registry: options.registry, namespace: declaredTarget.namespace}
  const settings = withTarget(ociSettingsFrom(loaded, overrides), declaredTarget)
  const declaration = parseDeclaration(loaded.values, {workspacePath: workspace, defaults: {registry: settings.registry, namespace: settings.namespace}})
  const base = {workspace, configFile, dryRun: options.dryRun, registry: settings.registry, namespace: settings.namespace, tlsEnabled: settings.tlsEnabled}
  if (declaration.source.kind !== 'local') return {...base, migrated: false, publish: [], rewrites: [], missing: []}

  const {
    yaml: {isMap, isScalar, isSeq},
    doc,
    text,
  } = await openConfigDocument(configFile)
  if (doc.getIn(['dependencies', 'extensions', 'source_type']) !== 'local') {
    throw new ConfigError(`the local extension source is not declared in ${configFile}`, {
      hint: 'dependencies.extensions.source_type = local comes from another layer ("provisioning config show dependencies --origin"); change it there',
      details: {file: configFile},
    })
  }

  const {readLocalCatalog} = await import('../deps/local-catalog.js')
  const catalog = await readLocalCatalog(declaration.source.path)
  const target = (name: string, version: string) =>
    withTag(parseReference(name, {registry: settings.registry, namespace: settings.namespace}, settings.cwd), version)
  const publish: PlannedPublish[] = catalog.records().map(({candidate, dir}) => ({
    name: candidate.name,
    version: candidate.version,
    ...(candidate.type ? {type: candidate.type} : {}),
    dir,
    reference: formatReference(target(candidate.name, candidate.tag)),
  }))
  const missing = declaration.modules.filter((m: DeclaredModule) => !catalog.versions(m.name)).map((m) => `${m.name} (${m.declaredAt})`)

  // Tagged string entries become full references to the registry; ranges ({name, version})
  // and untagged names keep their form and resolve against the new source.
  const rewrites: DeclarationRewrite[] = []
  const groups = doc.getIn(MODULES_KEY, true)
  if (isMap(groups)) {
    for (const pair of groups.items) {
      const group = String(isScalar(pair.key) ? pair.key.value : pair.key)
      if (!isSeq(pair.value)) continue
      pair.value.items.forEach((item, index) => {
        if (!isScalar(item) || typeof item.value !== 'string') return
        const reference = parseReference(item.value, {registry: 'localhost', namespace: ''}, settings.cwd)
        if (!reference.tag) return
        const name = reference.repository.split('/').pop() as string
        const ref = target(name, reference.tag)
        // The oci:// form of SPEC §9.1 says "registry" even to a reader who does not know the
        // host. A layout has no such form (oci-layout://PATH names one whole layout): there the
        // short name:tag resolves through the oci: block written below.
        const to = ref.location.kind === 'remote' ? `oci://${formatReference(ref)}` : `${name}:${reference.tag}`
        rewrites.push({at: `dependencies.extensions.modules.${group}[${index}]`, from: item.value, to})
        item.value = to
      })
    }
  }
  const plan = {...base, migrated: !options.dryRun, source: declaration.source.path, publish, rewrites, missing}
  if (options.dryRun) return plan

  const {pushExtensions} = await import('../oci/ops/push.js')
  const {pushed} = await pushExtensions({config: async () => loaded, ...overrides, target: declaredTarget, dirs: publish.map((p) => p.dir)})
  pushed.forEach((result, index) => Object.assign(publish[index], {digest: result.digest, transferred: result.transferred, skipped: result.skipped}))

  // The pushes can take minutes: a config edited meanwhile (module load, an editor) must not
  // be overwritten with the version read before them.
  if ((await readFile(configFile, 'utf8')) !== text) {
    throw new BusyError(`${configFile} changed while the extensions were being published; it was not rewritten`, {
      hint: `the extensions are published; run "provisioning workspace migrate-to-oci ${options.name}" again (pushing them again uploads nothing)`,
      details: {file: configFile},
    })
  }
  doc.setIn(['dependencies', 'extensions', 'source_type'], 'oci')
  // Only the keys the migration decides: other settings of an existing oci: block (e.g.
  // auth_token_path) stay.
  const ociPath = ['dependencies', 'extensions', 'oci']
  if (!isMap(doc.getIn(ociPath, true))) doc.setIn(ociPath, doc.createNode({}, {flow: true}))
  doc.setIn([...ociPath, 'registry'], settings.registry)
  doc.setIn([...ociPath, 'namespace'], settings.namespace)
  doc.setIn([...ociPath, 'tls_enabled'], settings.tlsEnabled)
  doc.deleteIn(['dependencies', 'extensions', 'local'])
  const backupFile = await freeBackupName(configFile)
  await copyFile(configFile, backupFile)
  await writeFileAtomic(configFile, doc.toString({lineWidth: 0}))
  return {...plan, backupFile: path.resolve(backupFile)}
}
