import { badInput, notFound } from '../../kit/errors';
import type { DomainEvent } from '../../kit/events';
import { isUuid } from '../../kit/loaders';
import { Permission, type Session } from '../../kit/session';
import type { Tx } from '../../kit/transaction';
import { describeEvent } from './audit-description';
import type { AuditEventEntity } from './audit-event.entity';
import type { AuditEventRepository } from './audit-event.repository';
import type { AuditEventConnectionType, AuditEventType } from './audit-event.types';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

export function encodeCursor(seq: string | bigint): string {
  return Buffer.from(`audit:${seq}`).toString('base64url');
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
    cursor: encodeCursor(e.seq),
    teamId: e.teamId!,
    occurredAt: e.occurredAt,
    description: e.description,
    actor: { userId: e.actorUserId, apiKeyId: e.actorApiKeyId, ip: e.actorIp, userAgent: e.actorUserAgent },
    outcome: e.outcome,
  };
}

export class AuditEventService {
  constructor(private readonly events: AuditEventRepository) {}

  /** Records a domain event as an audit entry, in the consumer's transaction. */
  async record(tx: Tx, event: DomainEvent): Promise<void> {
    await this.events.insert(tx, {
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
  }

  /** A team's audit log, newest first, for its admins. */
  async search(session: Session, teamId: string, filter: AuditLogFilter = {}, first?: number | null, after?: string | null): Promise<AuditEventConnectionType> {
    session.assertPermission(teamId, Permission.AuditRead, notFound('Team'));
    const limit = first ?? DEFAULT_PAGE_SIZE;
    if (limit < 0 || limit > MAX_PAGE_SIZE) throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}`, { field: 'first' });
    if (filter.eventId && !isUuid(filter.eventId)) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
    if (filter.userId && !isUuid(filter.userId)) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
    const rows = await this.events.search({
      teamIds: [teamId],
      eventId: filter.eventId ?? undefined,
      description: filter.description?.trim() || undefined,
      userId: filter.userId ?? undefined,
      from: filter.from ?? undefined,
      to: filter.to ?? undefined,
      beforeSeq: after ? decodeCursor(after) : undefined,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit).map(toType);
    return {
      edges: page.map((node) => ({ cursor: node.cursor, node })),
      pageInfo: { hasNextPage: rows.length > limit, endCursor: page.at(-1)?.cursor ?? null },
    };
  }
}
