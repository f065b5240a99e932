import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {formatBatchPush, formatPush, transferListeners} from '../../cli/format/oci.js'
import {formatExcluded, formatPackageWarning} from '../../cli/format/package.js'
import {signingPassphrase} from '../../cli/passphrase.js'
import {batchDirectories, type BatchPushResult, pushExtension, pushExtensions, type PushResult} from '../../lib/oci/ops/push.js'

export default class OciPush extends BaseCommand<typeof OciPush> {
  static summary = 'Package extension folders and push them as OCI artifacts'
  static audit = true
  static description =
    'Name and version default to manifest.yaml. The target may be a full reference (oci://host/ns/name:1.0.0, host:5000/ns/name:1.0.0), a namespace (oci://host/ns, helm style) or an OCI layout folder (oci-layout://PATH[:tag]); a name or version in it must match manifest.yaml. Several folders are pushed by one process, in parallel (oci.concurrency). Blobs the registry already holds are not sent again; the same folder always gives the same digest. A published version is immutable: pushing other content under an existing version tag exits 10 before anything is sent, unless --force (recorded in the audit log); pushing the same content again changes nothing. --sign (or oci.require_signed_push, which the cicd mode sets) signs each pushed manifest with --key or oci.signing_key, read before anything is sent; a version this key has signed already gets no second signature.'
  static examples = [
    '<%= config.bin %> oci push ./redis',
    '<%= config.bin %> oci push ./extensions-src/taskservs/*',
    '<%= config.bin %> oci push ./redis --dry-run --json',
    '<%= config.bin %> oci push ./redis --force',
    '<%= config.bin %> oci push ./redis --sign --key ~/.provisioning/keys/release.key',
    '<%= config.bin %> oci push ./redis oci://harbor.example.com/platform',
    '<%= config.bin %> oci push ./redis localhost:5000/team/redis:0.2.0',
    '<%= config.bin %> oci push ./redis --registry localhost:5000 --namespace team',
    'PROVISIONING_OCI__REGISTRY=oci-layout://./store <%= config.bin %> oci push ./redis',
  ]
  static strict = false
  static args = {
    dir: Args.string({description: 'extension folder (holds manifest.yaml); several folders push a batch', required: true}),
    name: Args.string({
      description:
        'extension name (must match manifest.yaml) or a target reference: oci://host/ns[/name[:version]], host/ns/name:version, oci-layout://PATH[:version]',
    }),
    version: Args.string({description: 'version (must match manifest.yaml)'}),
  }
  static flags = {
    ...ociFlags,
    'dry-run': Flags.boolean({description: 'package and compute digests, push nothing'}),
    force: Flags.boolean({description: 'replace a published version that holds other content (recorded in the audit log)'}),
    registry: Flags.string({description: 'registry host[:port] or oci-layout://PATH to push to (default: oci.registry)'}),
    namespace: Flags.string({description: 'repository namespace to push into (default: oci.namespace)'}),
    sign: Flags.boolean({
      description: 'sign each pushed manifest (a Sigstore bundle attached as its referrer, as "oci sign" does); on by oci.require_signed_push',
    }),
    key: Flags.string({char: 'k', description: 'private key to sign with (default: oci.signing_key)'}),
    'password-stdin': Flags.boolean({description: "read the signing key's passphrase from standard input"}),
  }

  async run(): Promise<PushResult | BatchPushResult> {
    const common = {
      config: this.session().config,
      dryRun: this.flags['dry-run'],
      force: this.flags.force,
      insecure: this.flags.insecure || undefined,
      concurrency: this.flags.concurrency,
      registry: this.flags.registry,
      namespace: this.flags.namespace,
      signing: {sign: this.flags.sign, keyFile: this.flags.key, passphrase: () => signingPassphrase({stdin: this.flags['password-stdin']})},
    }
    const dirs = await batchDirectories(this.positionals, process.cwd())
    if (dirs) {
      const result = await this.withTransfer(`push ${dirs.length} extensions`, (report, bytes) =>
        pushExtensions({...common, dirs, ...transferListeners(report, bytes)}),
      )
      for (const [i, pushed] of result.pushed.entries()) {
        if (this.verbose) this.note(formatExcluded(dirs[i], pushed.excluded))
        for (const warning of pushed.warnings) this.noteWarning(formatPackageWarning(dirs[i], warning))
      }
      this.auditReplaced(result.pushed)
      return this.present(result, formatBatchPush)
    }
    const result = await this.withTransfer(`push ${this.args.name ?? this.args.dir}`, (report, bytes) =>
      pushExtension({
        ...common,
        ...transferListeners(report, bytes),
        dir: this.args.dir,
        name: this.args.name,
        version: this.args.version,
      }),
    )
    this.auditReplaced([result])
    if (this.verbose) this.note(formatExcluded(this.args.dir, result.excluded))
    for (const warning of result.warnings) this.noteWarning(formatPackageWarning(this.args.dir, warning))
    return this.present(result, formatPush)
  }

  /** A version replaced by --force is named in the audit log with both digests. */
  private auditReplaced(pushed: PushResult[]): void {
    const replaced = pushed.flatMap((p) => (p.replaced ? [p.replaced] : []))
    if (replaced.length > 0) this.auditDetails = {replaced}
  }
}
