import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from './logger';

/**
 * Stable error codes clients can branch on (`extensions.code`). Services throw DomainError
 * with one of these; `formatError` is the single place that turns errors into API errors.
 */
export const ErrorCode = {
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  BadUserInput: 'BAD_USER_INPUT',
  Conflict: 'CONFLICT',
  EmailTaken: 'EMAIL_TAKEN',
  InvalidCredentials: 'INVALID_CREDENTIALS',
  RateLimited: 'RATE_LIMITED',
  ReauthenticationRequired: 'REAUTHENTICATION_REQUIRED',
  // Identity
  InvalidMfaCode: 'INVALID_MFA_CODE',
  MfaChallengeExpired: 'MFA_CHALLENGE_EXPIRED',
  InvalidVerificationCode: 'INVALID_VERIFICATION_CODE',
  LastSignInMethod: 'LAST_SIGN_IN_METHOD',
  OAuthFailed: 'OAUTH_FAILED',
  EmailVerificationRequired: 'EMAIL_VERIFICATION_REQUIRED',
  PasswordResetInvalid: 'PASSWORD_RESET_INVALID',
  PasswordResetExpired: 'PASSWORD_RESET_EXPIRED',
  PasswordResetUsed: 'PASSWORD_RESET_USED',
  RestoreTokenInvalid: 'RESTORE_TOKEN_INVALID',
  // Billing
  CardCountryNotSupported: 'CARD_COUNTRY_NOT_SUPPORTED',
  CardDeclined: 'CARD_DECLINED',
  InvalidPaymentToken: 'INVALID_PAYMENT_TOKEN',
  IdempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  IdempotentRequestInProgress: 'IDEMPOTENT_REQUEST_IN_PROGRESS',
  InsufficientCredits: 'INSUFFICIENT_CREDITS',
  SpendingLimitReached: 'SPENDING_LIMIT_REACHED',
  UnknownModel: 'UNKNOWN_MODEL',
  RefundNotAllowed: 'REFUND_NOT_ALLOWED',
  /** Billing has not (yet) seen the key: retry shortly, the key's creation may still be on its way. */
  UnknownApiKey: 'UNKNOWN_API_KEY',
  ApiKeyRevoked: 'API_KEY_REVOKED',
  ApiKeyTeamMismatch: 'API_KEY_TEAM_MISMATCH',
  ApiKeySpendCapReached: 'API_KEY_SPEND_CAP_REACHED',
  Internal: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode | string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError(ErrorCode.NotFound, `${what} not found`);
export const forbidden = (message = 'You do not have permission to do this') =>
  new DomainError(ErrorCode.Forbidden, message);
export const unauthenticated = () => new DomainError(ErrorCode.Unauthenticated, 'You must be signed in');
export const badInput = (message: string, details: Record<string, unknown> = {}) =>
  new DomainError(ErrorCode.BadUserInput, message, details);

/** Codes produced by GraphQL itself (parse, validation, variable coercion): safe to show as they are. */
const clientErrorCodes = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

function findDomainError(error: unknown): DomainError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof DomainError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/**
 * Maps any error to what a client may see: domain errors keep their code and message,
 * GraphQL's own client errors pass through, everything else is masked and logged.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  logger: Logger,
  requestId?: string,
): GraphQLFormattedError {
  const domain = findDomainError(error);
  if (domain) {
    return {
      message: domain.message,
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: domain.code, ...domain.details },
    };
  }
  const code = formatted.extensions?.code;
  const original = (error as GraphQLError | undefined)?.originalError;
  // GraphQL's own errors (and coercion errors it wraps) are about the request, not our internals.
  if (typeof code === 'string' && clientErrorCodes.has(code) && (!original || original instanceof GraphQLError || original instanceof TypeError)) {
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
  }
  logger.error({ err: original ?? error, requestId, path: formatted.path }, 'internal error');
  return {
    message: 'Internal server error',
    path: formatted.path,
    locations: formatted.locations,
    extensions: { code: ErrorCode.Internal, requestId },
  };
}
