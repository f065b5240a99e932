/*
 * The in-toto Statement v1 that a cosign 3 image signature signs: the manifest digest as
 * its only subject, cosign's signing predicate type, an empty predicate.
 */

import {isPlainTable} from '../util/json-exact.js'

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'
const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1'
/** The predicate type `cosign sign` (new bundle format) uses for an image signature. */
export const SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1'

/** Subjects read from a statement: more than a handful is not a signature of one manifest. */
const MAX_SUBJECTS = 16

export interface StatementSubject {
  name: string
  /** `sha256:<hex>` */
  digest: string
}

export interface Statement {
  subjects: StatementSubject[]
  predicateType: string
}

/** Why a payload is not a statement we can read (the finding's detail). */
export class MalformedStatement extends Error {}

/** The statement's bytes (JSON) for `repository`'s manifest `digest` (`sha256:<hex>`). */
export function statementFor(repository: string, digest: string): Buffer {
  const statement = {
    _type: STATEMENT_TYPE,
    subject: [{name: repository, digest: {sha256: digest.slice('sha256:'.length)}}],
    predicateType: SIGN_PREDICATE_TYPE,
    predicate: {},
  }
  return Buffer.from(JSON.stringify(statement))
}

function subjectOf(value: unknown): StatementSubject {
  if (!isPlainTable(value) || !isPlainTable(value.digest)) throw new MalformedStatement('a statement subject without a digest')
  const hex = value.digest.sha256
  if (typeof hex !== 'string' || !/^[a-f0-9]{64}$/.test(hex)) throw new MalformedStatement('a statement subject without a sha256 digest')
  return {name: typeof value.name === 'string' ? value.name : '', digest: `sha256:${hex}`}
}

/** Parses a DSSE payload (already verified) as an in-toto Statement v1; throws MalformedStatement. */
export function parseStatement(payloadType: string, payload: Buffer): Statement {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) throw new MalformedStatement(`payload type ${JSON.stringify(payloadType)} is not an in-toto statement`)
  let document: unknown
  try {
    document = JSON.parse(payload.toString('utf8'))
  } catch {
    throw new MalformedStatement('the payload is not JSON')
  }
  if (!isPlainTable(document) || document._type !== STATEMENT_TYPE) throw new MalformedStatement('the payload is not an in-toto Statement v1')
  const {subject, predicateType} = document
  if (!Array.isArray(subject) || subject.length === 0 || subject.length > MAX_SUBJECTS) {
    throw new MalformedStatement(`the statement has ${Array.isArray(subject) ? subject.length : 'no'} subjects`)
  }
  if (typeof predicateType !== 'string') throw new MalformedStatement('the statement has no predicate type')
  return {subjects: subject.map(subjectOf), predicateType}
}
