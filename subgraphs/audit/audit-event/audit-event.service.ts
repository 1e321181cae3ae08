import { badInput, forbidden } from '../../kit/errors';
import type { DomainEvent, GatewayOperationRecord } from '../../kit/events';
import { isUuid } from '../../kit/loaders';
import { Permission, type Session } from '../../kit/session';
import type { PostgresPubSub } from '../../kit/pubsub';
import type { Tx } from '../../kit/transaction';
import { describeEvent } from './audit-description';
import type { AuditEventEntity } from './audit-event.entity';
import { NO_TEAM_CHAIN, type AuditEventRepository } from './audit-event.repository';
import type { AuditEventConnectionType, AuditEventType, AuditLogVerificationType } from './audit-event.types';

export const auditTopic = (teamId: string) => `audit:${teamId}`;
/** How many events the live stream reads per query while catching up. */
export const STREAM_BATCH = 500;
/** The live stream re-reads the log this often even without a notification (one may be lost on reconnect). */
export const STREAM_POLL_MS = 5000;

export const DEFAULT_PAGE_SIZE = 50;
/** Rows per query while exporting. */
export const EXPORT_PAGE = 1000;
export const MAX_PAGE_SIZE = 100;

/** A cursor is the event's position in its team's chain: the same in search pages and the live stream. */
export function encodeCursor(position: string | bigint): string {
  return Buffer.from(`audit:${position}`).toString('base64url');
}

export function decodeCursor(cursor: string): bigint {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^audit:(\d{1,19})$/.exec(text);
  if (!match) throw badInput('Invalid cursor', { field: 'after' });
  return BigInt(match[1]);
}

export interface AuditLogFilter {
  eventId?: string | null;
  description?: string | null;
  userId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

function toType(e: AuditEventEntity): AuditEventType {
  return {
    id: e.eventId,
    cursor: encodeCursor(e.position),
    teamId: e.teamId!,
    occurredAt: e.occurredAt,
    description: e.description,
    actor: { userId: e.actorUserId, apiKeyId: e.actorApiKeyId, ip: e.actorIp, userAgent: e.actorUserAgent },
    outcome: e.outcome,
  };
}

const emptyPage = (): AuditEventConnectionType => ({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });

export class AuditEventService {
  constructor(
    private readonly events: AuditEventRepository,
    private readonly live: PostgresPubSub,
  ) {}

  /** FORBIDDEN for anyone but the team's admins, as the @Allow guard answers. */
  private assertCanRead(session: Session, teamId: string): void {
    session.assertPermission(teamId, Permission.AuditRead);
    if (teamId === NO_TEAM_CHAIN) throw forbidden();
  }

  /**
   * Records a domain event as an audit entry, in the consumer's transaction: appended to its
   * team's hash chain, and live subscribers are woken when the transaction commits.
   */
  async record(tx: Tx, event: DomainEvent): Promise<void> {
    const appended = await this.events.append(tx, {
      eventId: event.id,
      teamId: event.teamId,
      occurredAt: new Date(event.occurredAt),
      description: describeEvent(event.type),
      eventType: event.type,
      actorUserId: event.actor?.userId ?? null,
      actorApiKeyId: event.actor?.apiKeyId ?? null,
      actorIp: event.actor?.ip ?? null,
      actorUserAgent: event.actor?.userAgent ?? null,
      outcome: 'ALLOWED',
      payload: event.payload,
    });
    await this.notify(tx, event.teamId, appended);
  }

  /**
   * Records a batch of operations the gateway served (an id seen before makes its copy a no-op),
   * waking each team's live streams once for the batch.
   */
  async recordOperations(tx: Tx, ops: readonly GatewayOperationRecord[]): Promise<void> {
    const newest = new Map<string, { position: string }>();
    for (const op of ops) {
      const appended = await this.appendOperation(tx, op);
      if (appended && op.teamId) newest.set(op.teamId, appended);
    }
    if (newest.size === 0) return;
    const [sql, params] = this.live.notifyAllStatement([...newest].map(([teamId, { position }]) => ({ topic: auditTopic(teamId), payload: { position } })));
    await tx.query(sql, params);
  }

  private appendOperation(tx: Tx, op: GatewayOperationRecord): Promise<{ position: string } | null> {
    return this.events.append(tx, {
      eventId: op.id,
      teamId: op.teamId,
      occurredAt: new Date(op.occurredAt),
      description: op.description,
      eventType: 'gateway.operation',
      actorUserId: op.actor?.userId ?? null,
      actorApiKeyId: op.actor?.apiKeyId ?? null,
      actorIp: op.actor?.ip ?? null,
      actorUserAgent: op.actor?.userAgent ?? null,
      outcome: op.outcome,
      payload: { operationType: op.operationType, operationName: op.operationName, rootFields: op.rootFields, errorCodes: op.errorCodes, requestId: op.requestId },
    });
  }

  private async notify(tx: Tx, teamId: string | null, appended: { position: string } | null): Promise<void> {
    if (appended && teamId) {
      const [sql, params] = this.live.notifyStatement(auditTopic(teamId), { position: appended.position });
      await tx.query(sql, params);
    }
  }

  /** A team's audit log, newest first, for its admins. */
  async search(session: Session, teamId: string, filter: AuditLogFilter = {}, first?: number | null, after?: string | null): Promise<AuditEventConnectionType> {
    this.assertCanRead(session, teamId);
    const limit = first ?? DEFAULT_PAGE_SIZE;
    if (limit < 0 || limit > MAX_PAGE_SIZE) throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}`, { field: 'first' });
    if (filter.from && filter.to && filter.from > filter.to) throw badInput('from must not be after to', { field: 'filter.from' });
    if (filter.eventId && !isUuid(filter.eventId)) return emptyPage();
    if (filter.userId && !isUuid(filter.userId)) return emptyPage();
    const rows = await this.events.search({
      teamId,
      eventId: filter.eventId ?? undefined,
      description: filter.description?.trim() || undefined,
      userId: filter.userId ?? undefined,
      from: filter.from ?? undefined,
      to: filter.to ?? undefined,
      beforePosition: after ? decodeCursor(after) : undefined,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit).map(toType);
    return {
      edges: page.map((node) => ({ cursor: node.cursor, node })),
      pageInfo: { hasNextPage: rows.length > limit, endCursor: page.at(-1)?.cursor ?? null },
    };
  }

  /**
   * The team's audit log for [from, to) as NDJSON lines, oldest first, for its admins (as for
   * `auditLog`). Read page by page with a position cursor, never held in memory whole; events
   * recorded after the export started are not included.
   */
  async exportLines(session: Session, teamId: string, from?: Date, to?: Date, pageSize = EXPORT_PAGE): Promise<AsyncIterable<string>> {
    this.assertCanRead(session, teamId);
    if (from && to && from > to) throw badInput('from must not be after to', { field: 'from' });
    const bounds = await this.events.positionsBetween(teamId, from, to);
    const events = this.events;
    return (async function* () {
      if (!bounds) return;
      let after = (BigInt(bounds.lo) - 1n).toString();
      for (;;) {
        const rows = await events.exportPage(teamId, after, bounds.hi, from, to, pageSize);
        for (const e of rows) {
          yield JSON.stringify({
            id: e.eventId,
            position: e.position,
            teamId: e.teamId,
            occurredAt: e.occurredAt.toISOString(),
            description: e.description,
            eventType: e.eventType,
            actor: { userId: e.actorUserId, apiKeyId: e.actorApiKeyId, ip: e.actorIp, userAgent: e.actorUserAgent },
            outcome: e.outcome,
            payload: e.payload,
            hash: Buffer.from(e.hash).toString('hex'),
          });
        }
        if (rows.length < pageSize) return;
        after = rows.at(-1)!.position;
      }
    })();
  }

  /** Recomputes the team's hash chain and reports the first break, for its admins. */
  async verify(session: Session, teamId: string): Promise<AuditLogVerificationType> {
    this.assertCanRead(session, teamId);
    const result = await this.events.verify(teamId);
    return {
      ok: result.firstBreak === null,
      eventsChecked: result.eventsChecked,
      headPosition: BigInt(result.headPosition),
      headHash: result.headHash.toString('hex'),
      firstBreak: result.firstBreak && { position: BigInt(result.firstBreak.position), eventId: result.firstBreak.eventId, reason: result.firstBreak.reason },
    };
  }

  /**
   * The team's events after `after` (a cursor), oldest first, then each new one as it is
   * recorded; without `after`, only events recorded from now on. Every event is read from the
   * log in position order, so the stream has no gap and no duplicate; notifications only say
   * when to read. Authorizes before anything is subscribed.
   */
  stream(session: Session, teamId: string, after: string | null | undefined, pollMs = STREAM_POLL_MS): AsyncGenerator<AuditEventType> {
    this.assertCanRead(session, teamId);
    const start = after ? decodeCursor(after) : undefined;
    // Listen before the first read, so nothing committed in between is missed.
    const wakeups = this.live.subscribe<unknown>(auditTopic(teamId));
    const events = this.events;
    return (async function* () {
      let pending: Promise<unknown> | undefined;
      try {
        let last = start ?? (await events.headPosition(teamId));
        for (;;) {
          const rows = await events.after(teamId, last, STREAM_BATCH);
          for (const row of rows) {
            last = BigInt(row.position);
            yield toType(row);
          }
          if (rows.length === STREAM_BATCH) continue;
          pending ??= wakeups.next();
          let timer: NodeJS.Timeout | undefined;
          const woke = await Promise.race([
            pending.then((r) => ((r as IteratorResult<unknown>).done ? ('closed' as const) : ('woken' as const))),
            new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), pollMs))),
          ]);
          clearTimeout(timer);
          if (woke === 'closed') return; // the server is shutting down; the client resumes from its last cursor
          if (woke === 'woken') pending = undefined;
        }
      } finally {
        await wakeups.return?.();
      }
    })();
  }
}
