/**
 * Typed errors shared by every library. Each carries a stable code, the exit code
 * of SPEC §3 and a hint that tells the user what to do next. Libraries throw these;
 * the CLI layer renders them in one place (src/cli/render-error.ts).
 */

export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  CONFIG: 3,
  NOT_FOUND: 4,
  RESOLUTION: 5,
  REGISTRY: 6,
  AUTH: 7,
  INTEGRITY: 8,
  BUSY: 9,
  VALIDATION: 10,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export type ErrorCode =
  | 'E_INTERNAL'
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_NOT_FOUND'
  | 'E_RESOLUTION'
  | 'E_RESOLUTION_LIMIT'
  | 'E_REGISTRY'
  | 'E_AUTH'
  | 'E_INTEGRITY'
  | 'E_BUSY'
  | 'E_VALIDATION'

const exitFor: Record<ErrorCode, ExitCodeValue> = {
  E_INTERNAL: ExitCode.INTERNAL,
  E_USAGE: ExitCode.USAGE,
  E_CONFIG: ExitCode.CONFIG,
  E_NOT_FOUND: ExitCode.NOT_FOUND,
  E_RESOLUTION: ExitCode.RESOLUTION,
  E_RESOLUTION_LIMIT: ExitCode.RESOLUTION,
  E_REGISTRY: ExitCode.REGISTRY,
  E_AUTH: ExitCode.AUTH,
  E_INTEGRITY: ExitCode.INTEGRITY,
  E_BUSY: ExitCode.BUSY,
  E_VALIDATION: ExitCode.VALIDATION,
}

export interface ErrorOptions {
  hint?: string
  details?: Record<string, unknown>
  cause?: unknown
}

export class ProvisioningError extends Error {
  readonly code: ErrorCode
  readonly exit: ExitCodeValue
  readonly hint?: string
  readonly details: Record<string, unknown>

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'ProvisioningError'
    this.code = code
    this.exit = exitFor[code]
    this.hint = options.hint
    this.details = options.details ?? {}
  }
}

export class ConfigError extends ProvisioningError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_CONFIG', message, options)
  }
}

export class NotFoundError extends ProvisioningError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_NOT_FOUND', message, options)
  }
}

export class UsageError extends ProvisioningError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_USAGE', message, options)
  }
}

export class ResolutionError extends ProvisioningError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_RESOLUTION', message, options)
  }
}

/**
 * The search was cut short by its budget: nothing is known about satisfiability, so this is
 * never presented as "unsatisfiable" (same exit code, its own error code).
 */
export class ResolutionLimitError extends ProvisioningError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_RESOLUTION_LIMIT', message, options)
  }
}

export class RegistryError extends ProvisioningError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_REGISTRY', message, options)
  }
}

export class AuthError extends ProvisioningError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_AUTH', message, options)
  }
}

export class IntegrityError extends ProvisioningError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_INTEGRITY', message, options)
  }
}

export class BusyError extends ProvisioningError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_BUSY', message, options)
  }
}

export class ValidationError extends ProvisioningError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_VALIDATION', message, options)
  }
}

export function isProvisioningError(error: unknown): error is ProvisioningError {
  return error instanceof ProvisioningError
}
