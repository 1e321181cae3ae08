import { randomUUID } from 'node:crypto';

export interface EventActor {
  userId?: string;
  apiKeyId?: string;
  ip?: string;
  userAgent?: string;
}

/** The envelope every domain event travels in. `payload` is versioned by `version`. */
export interface DomainEvent<TPayload = Record<string, unknown>> {
  id: string;
  type: string;
  version: number;
  source: string;
  /** Events with the same aggregate id are delivered in the order they were committed. */
  aggregateId: string;
  teamId: string | null;
  actor: EventActor | null;
  occurredAt: string;
  payload: TPayload;
}

export type NewEvent<TPayload = Record<string, unknown>> = Omit<DomainEvent<TPayload>, 'id' | 'occurredAt' | 'source' | 'version'> & {
  version?: number;
  occurredAt?: Date;
};

export function createEvent<T>(source: string, event: NewEvent<T>): DomainEvent<T> {
  return {
    id: randomUUID(),
    type: event.type,
    version: event.version ?? 1,
    source,
    aggregateId: event.aggregateId,
    teamId: event.teamId,
    actor: event.actor,
    occurredAt: (event.occurredAt ?? new Date()).toISOString(),
    payload: event.payload,
  };
}

/** The event types the subgraphs publish, with their payloads (version 1). */
export const EventType = {
  UserSignedUp: 'identity.user.signed_up',
  MfaEnabled: 'identity.mfa.enabled',
  MfaDisabled: 'identity.mfa.disabled',
  RecoveryCodesRegenerated: 'identity.mfa.recovery_codes_regenerated',
  RecoveryCodeUsed: 'identity.mfa.recovery_code_used',
  UserDeleted: 'identity.user.deleted',
  UserRestored: 'identity.user.restored',
  UserPurged: 'identity.user.purged',
  UserEmailChangeRequested: 'identity.user.email_change_requested',
  UserEmailChanged: 'identity.user.email_changed',
  /** The user proved they receive mail at this address (a code, a provider's verified claim, or a confirmed change). */
  UserEmailVerified: 'identity.user.email_verified',
  UserPasswordReset: 'identity.user.password_reset',
  SignInMethodAdded: 'identity.sign_in_method.added',
  SignInMethodRemoved: 'identity.sign_in_method.removed',
  TeamCreated: 'team.created',
  TeamUpdated: 'team.updated',
  TeamDeleted: 'team.deleted',
  TeamMemberAdded: 'team.member.added',
  TeamMemberRemoved: 'team.member.removed',
  TeamMemberRoleChanged: 'team.member.role_changed',
  TeamInvitationCreated: 'team.invitation.created',
  TeamInvitationCancelled: 'team.invitation.cancelled',
  TeamDomainAdded: 'team.domain.added',
  TeamDomainVerified: 'team.domain.verified',
  TeamDomainUnverified: 'team.domain.unverified',
  TeamDomainRemoved: 'team.domain.removed',
  TeamDomainPolicyChanged: 'team.domain.policy_changed',
  TeamJoinRequested: 'team.join_request.created',
  TeamJoinRequestDecided: 'team.join_request.decided',
  ApiKeyCreated: 'team.api_key.created',
  ApiKeyListed: 'team.api_key.listed',
  ApiKeyUpdated: 'team.api_key.updated',
  ApiKeyDisabled: 'team.api_key.disabled',
  ApiKeyEnabled: 'team.api_key.enabled',
  ApiKeyDeleted: 'team.api_key.deleted',
  ApiKeyRotated: 'team.api_key.rotated',
  ApiKeyLeaked: 'team.api_key.leaked',
  ManagementKeyCreated: 'team.management_key.created',
  ManagementKeyRevoked: 'team.management_key.revoked',
  CreditBalanceChanged: 'billing.balance.changed',
  CreditAlertThresholdCrossed: 'billing.balance.alert_threshold_crossed',
  GatewayOperationsRecorded: 'gateway.operations.recorded',
  UsageRecorded: 'billing.usage.recorded',
} as const;

/**
 * `billing.balance.alert_threshold_crossed`: a debit took the team's prepaid credits to or below
 * one of the thresholds its Admins set, a percentage of the last top-up. Once per crossing.
 */
export interface CreditAlertThresholdCrossedPayload {
  teamId: string;
  thresholdPercent: number;
  /** The threshold as money, and the top-up it is a percentage of (ticks, decimal strings). */
  thresholdTicks: string;
  topUpTicks: string;
  prepaidTicks: string;
}

/** One billed inference request, as its usage reporter described it (for the API request log). */
export interface UsageRequestLog {
  requestId: string;
  apiKeyId: string;
  model: string;
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
  occurredAt: string;
  requestBytes: number | null;
  responseBytes: number | null;
  /** SHA-256 (hex) of the request and response bodies, as reported or computed from them. */
  bodyDigest: string | null;
  requestBody: string | null;
  responseBody: string | null;
}

/**
 * The requests of one metering batch, column by column: a batch holds up to thousands of them,
 * so each field name is written once, and an optional field only when some request has it.
 */
export interface UsageRequestColumns {
  requestId: string[];
  apiKeyId: string[];
  model: string[];
  promptTokens: number[];
  cachedPromptTokens: number[];
  completionTokens: number[];
  /** Milliseconds since the epoch. */
  occurredAtMs: number[];
  requestBytes?: (number | null)[];
  responseBytes?: (number | null)[];
  bodyDigest?: (string | null)[];
  requestBody?: (string | null)[];
  responseBody?: (string | null)[];
}

/** `billing.usage.recorded`: the requests one metering batch billed to one team. */
export interface UsageRecordedPayload {
  batchId: string;
  columns?: UsageRequestColumns;
  /** The one-object-per-request shape written before `columns`; events in that shape are still read. */
  requests?: UsageRequestLog[];
}

/** The requests a `billing.usage.recorded` event carries as columns, whichever shape it was written in. */
export function requestColumnsOf(payload: UsageRecordedPayload): UsageRequestColumns {
  if (payload.columns) return payload.columns;
  const requests = payload.requests ?? [];
  const column = <T>(pick: (r: UsageRequestLog) => T) => requests.map(pick);
  return {
    requestId: column((r) => r.requestId),
    apiKeyId: column((r) => r.apiKeyId),
    model: column((r) => r.model),
    promptTokens: column((r) => r.promptTokens),
    cachedPromptTokens: column((r) => r.cachedPromptTokens),
    completionTokens: column((r) => r.completionTokens),
    occurredAtMs: column((r) => Date.parse(r.occurredAt)),
    requestBytes: column((r) => r.requestBytes ?? null),
    responseBytes: column((r) => r.responseBytes ?? null),
    bodyDigest: column((r) => r.bodyDigest ?? null),
    requestBody: column((r) => r.requestBody ?? null),
    responseBody: column((r) => r.responseBody ?? null),
  };
}

export type OperationOutcome = 'ALLOWED' | 'DENIED' | 'FAILED';

/** One operation the gateway served, as the audit log records it. */
export interface GatewayOperationRecord {
  /** The audit event id: unique per operation, so a redelivered batch records nothing twice. */
  id: string;
  occurredAt: string;
  teamId: string | null;
  actor: EventActor | null;
  /** The action's name, e.g. `ListApiKeys`, `UpdateTeam`. */
  description: string;
  operationType: 'query' | 'mutation' | 'subscription';
  operationName: string | null;
  rootFields: string[];
  outcome: OperationOutcome;
  errorCodes: string[];
  requestId: string | null;
}

/** `gateway.operations.recorded`: a batch of operations, published by the gateway. */
export interface GatewayOperationsRecordedPayload {
  operations: GatewayOperationRecord[];
}

export interface UserSignedUpPayload {
  userId: string;
  email: string;
}
/** `identity.user.deleted`, `identity.user.restored`, `identity.user.purged`: other subgraphs drop what they hold on purge. */
export interface UserLifecyclePayload {
  userId: string;
}
export interface UserEmailChangedPayload {
  userId: string;
  email: string;
}
/** `identity.user.email_verified`: only a verified address may join teams by invitation or domain. */
export interface UserEmailVerifiedPayload {
  userId: string;
  email: string;
}
export interface TeamCreatedPayload {
  teamId: string;
  name: string;
  isPersonal: boolean;
  createdBy: string;
}
/** `team.api_key.*` (the event's teamId is the key's team). */
export interface ApiKeyPayload {
  keyId: string;
  name: string;
}
/** `team.api_key.rotated`: `keyId` is the new key; the old one keeps working for `graceSeconds`. */
export interface ApiKeyRotatedPayload extends ApiKeyPayload {
  rotatedFrom: string;
  graceSeconds: number;
}
export interface TeamDeletedPayload {
  teamId: string;
  name: string;
}
export interface TeamMemberAddedPayload {
  teamId: string;
  userId: string;
  role: 'ADMIN' | 'MEMBER';
}
