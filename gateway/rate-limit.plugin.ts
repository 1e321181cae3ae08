import { GraphQLError, Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Principal } from '../subgraphs/kit/auth';
import type { Logger } from '../subgraphs/kit/logger';
import { documentCost } from './operation-cost';
import type { RateLimiter } from './rate-limiter';

export interface RateLimits {
  windowMs: number;
  /** Operations per window for a signed-in principal (user or key). */
  operationsPerPrincipal: number;
  /** Operations per window for anonymous callers, per IP address. */
  operationsPerIp: number;
  /** Estimated cost per window per principal (or IP when anonymous). */
  costPerWindow: number;
  /** Sign-in, sign-up and MFA attempts per window per IP address. */
  sensitivePerIp: number;
}

export const defaultRateLimits: RateLimits = {
  windowMs: 60_000,
  operationsPerPrincipal: 1200,
  operationsPerIp: 300,
  costPerWindow: 200_000,
  sensitivePerIp: 30,
};

/** Operations guessers aim at: stricter limits, per IP address. */
const SENSITIVE = new Set(['signIn', 'signUp', 'completeMfaChallenge', 'restoreAccount', 'confirmEmailChange', 'verifyEmail', 'requestPasswordReset', 'resetPassword']);

interface LimitContext {
  rateLimitKey?: string;
  clientIp?: string;
  principal?: Principal;
}

function rootFields(document: DocumentNode, operationName?: string | null): string[] {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  return operation?.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])) ?? [];
}

function limited(retryAfterMs: number): GraphQLError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new GraphQLError('Too many requests; slow down and retry later', {
    extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds, http: { status: 429, headers: { 'retry-after': String(seconds) } } },
  });
}

/**
 * Rate limits per principal (anonymous callers per IP): operations and estimated cost per
 * window, and a tight budget for sign-in and similar guessable operations. Checked before
 * execution, for HTTP operations and WebSocket subscriptions alike. Services (usage reporters)
 * are not limited.
 */
export function useRateLimits(limiter: RateLimiter, limits: RateLimits, logger: Logger) {
  const check = async (context: LimitContext, document: DocumentNode, operationName?: string | null): Promise<GraphQLError | undefined> => {
    // Usage reporters are the platform's own inference servers, holding tokens from configuration:
    // their volume is the platform's traffic, and throttling them would leave usage unbilled.
    if (context.principal?.kind === 'service') return undefined;
    const who = context.rateLimitKey ?? `ip:${context.clientIp ?? 'unknown'}`;
    const anonymous = !context.rateLimitKey;
    try {
      const decisions = [
        limiter.consume(`ops:${who}`, 1, anonymous ? limits.operationsPerIp : limits.operationsPerPrincipal, limits.windowMs),
        limiter.consume(`cost:${who}`, documentCost(document), limits.costPerWindow, limits.windowMs),
      ];
      if (rootFields(document, operationName).some((f) => SENSITIVE.has(f))) {
        decisions.push(limiter.consume(`sensitive:ip:${context.clientIp ?? 'unknown'}`, 1, limits.sensitivePerIp, limits.windowMs));
      }
      const denied = (await Promise.all(decisions)).filter((d) => !d.allowed);
      if (denied.length) return limited(Math.max(...denied.map((d) => d.retryAfterMs)));
    } catch (err) {
      // The limiter's store is down: serve rather than fail every request, and say so.
      logger.warn({ err }, 'rate limiter unavailable');
    }
    return undefined;
  };
  return {
    async onExecute({ args, setResultAndStopExecution }: { args: { contextValue: LimitContext; document: DocumentNode; operationName?: string | null }; setResultAndStopExecution: (r: unknown) => void }) {
      const error = await check(args.contextValue, args.document, args.operationName);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    async onSubscribe({ args, setResultAndStopExecution }: { args: { contextValue: LimitContext; document: DocumentNode; operationName?: string | null }; setResultAndStopExecution: (r: unknown) => void }) {
      const error = await check(args.contextValue, args.document, args.operationName);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
