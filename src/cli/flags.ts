import {Flags} from '@oclif/core'

/** Flags shared by the commands that talk to a registry. */
export const ociFlags = {
  insecure: Flags.boolean({description: 'skip TLS certificate verification (never in production)'}),
  concurrency: Flags.integer({description: 'parallel transfers (default: oci.concurrency)', min: 1}),
}

export const yesFlag = {
  yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation (required without a TTY)'}),
}
