import type { Tx, UnitOfWork } from '../../kit/transaction';
import { AuditEventEntity } from './audit-event.entity';

export interface AuditSearch {
  teamIds: readonly string[];
  eventId?: string;
  description?: string;
  userId?: string;
  from?: Date;
  to?: Date;
  /** Only events older than this sequence number (the page cursor). */
  beforeSeq?: bigint;
  limit: number;
}

export class AuditEventRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Records an event; a second copy of the same event id is ignored. */
  async insert(tx: Tx, event: Omit<AuditEventEntity, 'seq'>): Promise<void> {
    await tx
      .createQueryBuilder()
      .insert()
      .into(AuditEventEntity)
      .values(event as never)
      .orIgnore()
      .execute();
  }

  /** Newest first. */
  search(search: AuditSearch): Promise<AuditEventEntity[]> {
    const q = this.uow.reader
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.team_id IN (:...teamIds)', { teamIds: search.teamIds })
      .orderBy('e.seq', 'DESC')
      .limit(search.limit);
    if (search.eventId) q.andWhere('e.event_id = :eventId', { eventId: search.eventId });
    if (search.description) {
      q.andWhere(`e.description ILIKE :description ESCAPE '\\'`, {
        description: `%${search.description.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      });
    }
    if (search.userId) q.andWhere('e.actor_user_id = :userId', { userId: search.userId });
    if (search.from) q.andWhere('e.occurred_at >= :from', { from: search.from });
    if (search.to) q.andWhere('e.occurred_at < :to', { to: search.to });
    if (search.beforeSeq !== undefined) q.andWhere('e.seq < :beforeSeq', { beforeSeq: search.beforeSeq.toString() });
    return q.getMany();
  }

  findByEventIds(eventIds: readonly string[]): Promise<AuditEventEntity[]> {
    return this.uow.reader
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.event_id IN (:...eventIds)', { eventIds })
      .getMany();
  }
}
