import {Flags} from '@oclif/core'

/** Flags shared by the commands that talk to a registry. */
export const ociFlags = {
  insecure: Flags.boolean({description: 'skip TLS certificate verification (never in production)'}),
  concurrency: Flags.integer({description: 'parallel transfers (default: oci.concurrency)', min: 1}),
}

export const yesFlag = {
  yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation (required without a TTY)'}),
}

/** Commands that show or pick a latest version: pre-releases only when asked for (SPEC §8.2). */
export const preFlag = {
  pre: Flags.boolean({description: 'let "latest" be a pre-release (default: the latest stable version)'}),
}
