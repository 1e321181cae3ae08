import { createGraphQLError } from '@graphql-tools/utils';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { context as otelContext, trace } from '@opentelemetry/api';
import { signAssertion, type Principal } from '../subgraphs/kit/auth';
import { traceHeaders } from '../subgraphs/kit/tracing';
import type { Logger } from '../subgraphs/kit/logger';
import { InvalidSessionError, type PrincipalResolver } from './principal-resolver';
import { ServiceTokens } from './service-tokens';

/** The principal a usage reporter's service token stands for. */
export const USAGE_REPORTER: Principal = { kind: 'service', service: 'usage-reporter' };

/** What the gateway adds to each operation's context. */
export interface ConsoleGatewayContext {
  consoleAssertion: string;
  requestId: string;
  /** Whose budget this operation spends: the principal, or nothing for anonymous callers and services. */
  rateLimitKey?: string;
  clientIp?: string;
  /** Continues the operation's trace in the subgraphs. */
  traceparent?: string;
  userAgent?: string;
  /** Who is calling, as resolved from the token (for the operation log). */
  principal?: Principal;
}

interface IncomingContext {
  request?: Request;
  req?: IncomingMessage;
  connectionParams?: Record<string, unknown>;
  extra?: { request?: IncomingMessage };
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match?.[1];
}

/** The token from the Authorization header, or from graphql-ws `connection_init`'s payload. */
export function tokenOf(context: IncomingContext): string | undefined {
  const header = context.request?.headers.get('authorization');
  if (header) return bearerToken(header);
  const params = context.connectionParams;
  if (!params) return undefined;
  const auth = params.authorization ?? params.Authorization;
  if (typeof auth === 'string') return bearerToken(auth) ?? auth;
  return typeof params.token === 'string' ? params.token : undefined;
}

const plain = (ip: string) => (ip.startsWith('::ffff:') ? ip.slice(7) : ip).trim();

/**
 * The client's address: the connection's peer, unless that peer is one of the configured proxies;
 * then the nearest address in X-Forwarded-For that is not one of them (what a client writes
 * further left could be anything, so it is never trusted).
 */
export function clientIpOf(peer: string | undefined, forwardedFor: string | string[] | undefined | null, trustedProxies: readonly string[]): string | undefined {
  if (!peer || trustedProxies.length === 0 || !forwardedFor) return peer;
  const trusted = new Set(trustedProxies.map(plain));
  if (!trusted.has(plain(peer))) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((h) => h.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isIP(plain(hops[i]))) return peer;
    if (!trusted.has(plain(hops[i]))) return hops[i];
  }
  return peer;
}

export function originOf(context: IncomingContext, trustedProxies: readonly string[]): { ip?: string; userAgent?: string } {
  const req = context.req ?? context.extra?.request;
  const userAgent = context.request?.headers.get('user-agent') ?? (req?.headers['user-agent'] as string | undefined);
  const forwardedFor = context.request?.headers.get('x-forwarded-for') ?? req?.headers['x-forwarded-for'];
  return { ip: clientIpOf(req?.socket?.remoteAddress, forwardedFor, trustedProxies), userAgent: userAgent?.slice(0, 512) };
}

/** A request id the client sent, when well-formed. */
export const validRequestId = (given: unknown): string | undefined => (typeof given === 'string' && REQUEST_ID.test(given) ? given : undefined);

/** The client's request id when it sent a well-formed one. */
export function requestIdOf(context: IncomingContext): string | undefined {
  return validRequestId(context.request?.headers.get('x-request-id'));
}

/**
 * Authenticates every operation (HTTP or WebSocket) and attaches a signed assertion of the
 * caller that the subgraphs verify. Nothing a client sends is forwarded as identity.
 */
export function useConsoleAuth(resolver: PrincipalResolver, secret: string, logger: Logger, usageReporterTokens: readonly string[] = [], trustedProxies: readonly string[] = []) {
  const reporters = new ServiceTokens(usageReporterTokens);
  return {
    async onContextBuilding({ context, extendContext }: { context: IncomingContext; extendContext: (c: ConsoleGatewayContext) => void }) {
      const token = tokenOf(context);
      let principal: Principal = { kind: 'anonymous' };
      if (token && reporters.matches(token)) {
        principal = USAGE_REPORTER;
      } else if (token) {
        try {
          principal = await resolver.resolve(token);
        } catch (err) {
          if (err instanceof InvalidSessionError) {
            throw createGraphQLError('Your session is invalid or has expired; sign in again', {
              extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
            });
          }
          logger.error({ err }, 'principal resolution failed');
          throw createGraphQLError('Authentication is unavailable; try again shortly', {
            extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
          });
        }
      }
      const requestId = requestIdOf(context) ?? randomUUID();
      const origin = originOf(context, trustedProxies);
      const rateLimitKey = principal.kind === 'user' ? `user:${principal.userId}` : principal.kind === 'management-key' ? `key:${principal.keyId}` : undefined;
      const active = trace.getSpan(otelContext.active());
      extendContext({
        traceparent: active ? (traceHeaders(active).traceparent ?? '') : '',
        requestId,
        rateLimitKey,
        clientIp: origin.ip,
        userAgent: origin.userAgent,
        principal,
        consoleAssertion: signAssertion({ principal, requestId, ...origin }, secret),
      });
    },
  };
}
