import {AuthError} from '../../errors.js'
import {type Challenge, parseChallenge} from '../auth-challenge.js'
import type {Credential} from '../credentials.js'
import {cleartextRefusal, credentialsWithheld} from './cleartext.js'
import {type RegistryResponse, responseHeader} from './exchange.js'
import {basicAuthorization, type IssuedToken, requestToken, type TokenServiceAccess} from './token-request.js'

export interface AuthOptions extends Omit<TokenServiceAccess, 'withheld'> {
  credentials: () => Promise<Credential | undefined>
}

/**
 * The auth layer of one registry: the challenge it last sent (learned from a 401), the
 * Authorization header a request's scopes need (Basic, a token file's token, or a token
 * from the registry's token service, cached per scope set), and the errors for refused
 * access. Stored credentials are never looked up for, nor sent to, a registry that gets
 * them withheld (cleartext.ts).
 */
export class RegistryAuth {
  readonly withheld: boolean
  private challenge?: Challenge
  private readonly tokens = new Map<string, IssuedToken>()
  private credential?: Promise<Credential | undefined>

  constructor(private readonly options: AuthOptions) {
    this.withheld = credentialsWithheld(options)
  }

  /** Keeps the challenge of a 401 answer, if it has one the client understands. */
  learnChallenge(response: RegistryResponse): void {
    this.challenge = parseChallenge(responseHeader(response, 'www-authenticate')) ?? this.challenge
  }

  /** The token sent for these scopes was refused: the next authorization() fetches a fresh one. */
  forgetToken(scopes: string[]): void {
    this.tokens.delete(scopeKey(scopes))
  }

  /**
   * The Authorization header for these scopes, fetching a token when the registry asked for
   * one. With `force` (after a 401), a Basic challenge without stored credentials is an error.
   */
  async authorization(scopes: string[], what: string, force = false): Promise<string | undefined> {
    const challenge = this.challenge
    if (!challenge) return undefined
    const credential = await this.credentials()
    if (challenge.scheme === 'basic') {
      if (!credential || credential.kind !== 'basic') return force ? this.refused(401, what, 'no credentials found') : undefined
      return basicAuthorization(credential)
    }
    // A token file's token (never withheld here: see credentials()).
    if (credential?.kind === 'bearer') return `Bearer ${credential.token}`
    const key = scopeKey(scopes)
    const cached = this.tokens.get(key)
    if (cached && cached.expires > Date.now()) return `Bearer ${cached.token}`
    const issued = await requestToken({...this.options, withheld: this.withheld}, challenge, scopes, credential)
    this.tokens.set(key, issued)
    return `Bearer ${issued.token}`
  }

  /** Access refused (401/403): log in, or ask for permission; or, when withheld, why none was sent. */
  refused(status: number, what: string, detail: string): never {
    const {host, remoteProxy} = this.options
    // Refused while anonymous only because credentials are withheld: say that, not "log in".
    if (this.withheld) throw cleartextRefusal(host, what, status, remoteProxy)
    throw new AuthError(`${what}: ${status === 401 ? 'authentication required or rejected' : 'access denied'} by ${host}${detail ? ` (${detail})` : ''}`, {
      hint: status === 401 ? `log in with "provisioning oci login ${host}"` : 'your credentials lack permission for this repository; ask the registry admin',
      details: {registry: host, status},
    })
  }

  private credentials(): Promise<Credential | undefined> {
    // Not even looked up when withheld: a credential helper is not run for nothing.
    this.credential ??= this.withheld ? Promise.resolve(undefined) : this.options.credentials()
    return this.credential
  }
}

function scopeKey(scopes: string[]): string {
  return [...scopes].sort().join(' ')
}
