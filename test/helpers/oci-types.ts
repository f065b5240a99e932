import {createHash} from 'node:crypto'

/** The shapes the integration tests read from registries and from `--json` errors. */
export interface Descriptor {
  mediaType: string
  digest: string
  size: number
}

export interface Manifest {
  config: Descriptor
  layers: Descriptor[]
}

export interface ErrorDoc {
  error: {code: string; message: string; exit: number; hint?: string}
}

export const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`
