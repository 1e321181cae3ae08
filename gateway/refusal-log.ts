import { randomUUID } from 'node:crypto';
import { sha256 } from '../subgraphs/kit/digest';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Principal } from '../subgraphs/kit/auth';
import type { GatewayOperationRecord } from '../subgraphs/kit/events';
import type { Logger } from '../subgraphs/kit/logger';
import { actorOf, describeOperation, outcomeOf, type OperationLogPublisher } from './operation-log';

/** An operation the gateway refused before executing it, as much of it as is known. */
export interface Refusal {
  /** The request's fields as sent; anything may be missing or malformed. */
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  /** The caller when the gateway had resolved it already. */
  principal?: Principal;
  /** The bearer token, to resolve the caller when it had not. */
  token?: string;
  ip?: string;
  userAgent?: string;
  requestId?: string;
  errors: readonly { extensions?: Record<string, unknown> }[];
}

export interface RefusalLogOptions {
  /** Refusal records kept per team per window; the rest are counted, not recorded. */
  perTeam: number;
  windowMs: number;
  /** Documents longer than this (or with more tokens) are not parsed again for the record. */
  maxDocumentLength: number;
  maxTokens: number;
}

export const defaultRefusalLogOptions: RefusalLogOptions = { perTeam: 60, windowMs: 60_000, maxDocumentLength: 32 * 1024, maxTokens: 2000 };

/** The description of a refusal whose document could not be read. */
export const UNREADABLE_OPERATION = 'InvalidOperation';
const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

export type RefusalFate = 'recorded' | 'no-team' | 'over-budget';

/**
 * Records operations refused before execution (malformed or invalid documents, limits, rate
 * limits, trusted-document refusals, invalid sessions) in the team's audit log, attributed as
 * executed operations are: a team argument of the document, else a management key's team.
 *
 * Garbage must not buy writes: a refusal that names no team has no audit log to go to and is
 * only counted (the gateway's metrics), and each team gets at most `perTeam` refusal records per
 * window, so a flood aimed at one team costs it a bounded number of rows. The caller is resolved
 * from its token only for a refusal that will be recorded.
 */
export class RefusalLog {
  private windows = new Map<string, { start: number; count: number }>();
  /** Refusals not recorded, by why. */
  readonly skipped = { 'no-team': 0, 'over-budget': 0 };
  /** Told of every refusal not recorded (the gateway counts them in its metrics). */
  onSkipped?: (fate: Exclude<RefusalFate, 'recorded'>) => void;

  constructor(
    private readonly publisher: OperationLogPublisher,
    private readonly resolvePrincipal: (token: string) => Promise<Principal | undefined>,
    private readonly schema: () => GraphQLSchema | undefined,
    private readonly logger: Logger,
    private readonly options: RefusalLogOptions = defaultRefusalLogOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async record(refusal: Refusal): Promise<RefusalFate> {
    try {
      const document = this.parse(refusal.query);
      const operationName = typeof refusal.operationName === 'string' && NAME.test(refusal.operationName) ? refusal.operationName : null;
      const variables = refusal.variables && typeof refusal.variables === 'object' && !Array.isArray(refusal.variables) ? (refusal.variables as Record<string, unknown>) : {};
      const draft = (principal: Principal | undefined) => this.describe(refusal, document, operationName, variables, principal);

      // Attribute before resolving anyone: a team argument, or a management key's team.
      let principal = refusal.principal;
      let teamId = draft(principal).teamId;
      const maybeKey = !principal && /^cgm_/.test(refusal.token ?? '');
      if (!teamId && !maybeKey) return this.skip('no-team');
      if (!this.admit(teamId ?? `token:${sha256(refusal.token!).toString('hex')}`)) return this.skip('over-budget');
      if (!principal && refusal.token) principal = await this.resolvePrincipal(refusal.token).catch(() => undefined);
      const entry = draft(principal);
      teamId = entry.teamId;
      if (!teamId) return this.skip('no-team');
      if (maybeKey && !this.admit(teamId)) return this.skip('over-budget');
      await this.publisher.record(entry);
      return 'recorded';
    } catch (err) {
      this.logger.error({ err }, 'could not record a refused operation');
      return 'no-team';
    }
  }

  private skip(fate: Exclude<RefusalFate, 'recorded'>): RefusalFate {
    this.skipped[fate]++;
    this.onSkipped?.(fate);
    return fate;
  }

  private describe(refusal: Refusal, document: DocumentNode | undefined, operationName: string | null, variables: Record<string, unknown>, principal: Principal | undefined): GatewayOperationRecord {
    const contextValue = { principal, clientIp: refusal.ip, userAgent: refusal.userAgent, requestId: refusal.requestId };
    const described = document ? describeOperation({ schema: this.schema(), document, operationName, variableValues: variables, contextValue }, refusal.errors) : null;
    const entry: GatewayOperationRecord = described ?? {
      id: randomUUID(),
      occurredAt: new Date(this.now()).toISOString(),
      teamId: principal?.kind === 'management-key' ? principal.teamId : null,
      actor: actorOf(contextValue),
      description: operationName ?? UNREADABLE_OPERATION,
      operationType: 'query',
      operationName,
      rootFields: [],
      ...outcomeOf(refusal.errors),
      requestId: refusal.requestId ?? null,
    };
    // Refused before execution: never ALLOWED, whatever the errors say.
    return entry.outcome === 'ALLOWED' ? { ...entry, outcome: 'FAILED' } : entry;
  }

  /** The document again, within the limits, for naming and attributing it; undefined when unreadable. */
  private parse(query: unknown): DocumentNode | undefined {
    if (typeof query !== 'string' || query.length > this.options.maxDocumentLength) return undefined;
    try {
      return parse(query, { noLocation: true, maxTokens: this.options.maxTokens });
    } catch {
      return undefined;
    }
  }

  /** A fixed window per key; the map is swept when it grows, so distinct keys cannot fill memory. */
  private admit(key: string): boolean {
    const now = this.now();
    if (this.windows.size > 10_000) {
      for (const [k, w] of this.windows) if (now - w.start >= this.options.windowMs) this.windows.delete(k);
      if (this.windows.size > 10_000) this.windows.clear();
    }
    const window = this.windows.get(key);
    if (!window || now - window.start >= this.options.windowMs) {
      this.windows.set(key, { start: now, count: 1 });
      return true;
    }
    return ++window.count <= this.options.perTeam;
  }
}
