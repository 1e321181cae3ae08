import type { Tx, UnitOfWork } from '../../kit/transaction';
import { AuditEventEntity } from './audit-event.entity';

/** The chain of events that belong to no team (sign-ups). */
export const NO_TEAM_CHAIN = '00000000-0000-0000-0000-000000000000';
export const GENESIS_HASH = Buffer.alloc(32);

export type NewAuditEvent = Omit<AuditEventEntity, 'seq' | 'chainId' | 'position' | 'prevHash' | 'hash'>;

export interface AuditSearch {
  teamId: string;
  eventId?: string;
  description?: string;
  userId?: string;
  from?: Date;
  to?: Date;
  /** Only events older than this chain position (the page cursor). */
  beforePosition?: bigint;
  limit: number;
}

export type ChainBreakReason = 'MISSING_EVENTS' | 'LINK_BROKEN' | 'CONTENT_CHANGED' | 'TRUNCATED';

export interface ChainVerification {
  eventsChecked: number;
  headPosition: string;
  headHash: Buffer;
  firstBreak: { position: string; eventId: string | null; reason: ChainBreakReason } | null;
}

const HASH_OF = (e: string, prev: string, pos: string) =>
  `audit.entry_hash(${prev}, ${e}.event_id, ${e}.team_id, ${pos}, ${e}.occurred_at, ${e}.description, ${e}.event_type,
    ${e}.actor_user_id, ${e}.actor_api_key_id, ${e}.actor_ip, ${e}.actor_user_agent, ${e}.outcome, ${e}.payload)`;

export class AuditEventRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Appends an event to its team's hash chain; a second copy of the same event id is ignored
   * (returns null). The chain's head row is locked until the transaction ends, so appends to one
   * team are serialized and positions commit in order, without gaps.
   */
  async append(tx: Tx, event: NewAuditEvent): Promise<{ position: string } | null> {
    const chainId = event.teamId ?? NO_TEAM_CHAIN;
    const lockHead = (): Promise<{ head_position: string; head_hash: Buffer }[]> =>
      tx.query('SELECT head_position, head_hash FROM audit.audit_chains WHERE chain_id = $1 FOR UPDATE', [chainId]);
    let [head] = await lockHead();
    if (!head) {
      // A team's first event starts its chain (two first events race harmlessly: one insert wins).
      await tx.query(`INSERT INTO audit.audit_chains (chain_id, head_hash, pruned_hash) VALUES ($1, $2, $2) ON CONFLICT (chain_id) DO NOTHING`, [chainId, GENESIS_HASH]);
      [head] = await lockHead();
    }
    const position = (BigInt(head.head_position) + 1n).toString();
    // A second copy of an event id inserts nothing and leaves the head where it is.
    const [row]: { hash: Buffer }[] = await tx.query(
      `INSERT INTO audit.audit_events AS n (event_id, team_id, occurred_at, description, event_type, actor_user_id, actor_api_key_id,
         actor_ip, actor_user_agent, outcome, payload, position, prev_hash, hash)
       SELECT v.*, $12::bigint, $13::bytea, ${HASH_OF('v', '$13::bytea', '$12::bigint')}
       FROM (SELECT $1::uuid AS event_id, $2::uuid AS team_id, $3::timestamptz AS occurred_at, $4::text AS description, $5::text AS event_type,
               $6::uuid AS actor_user_id, $7::uuid AS actor_api_key_id, $8::text AS actor_ip, $9::text AS actor_user_agent,
               $10::text AS outcome, $11::jsonb AS payload) v
       ON CONFLICT (event_id) DO NOTHING
       RETURNING n.hash`,
      [
        event.eventId,
        event.teamId,
        event.occurredAt,
        event.description,
        event.eventType,
        event.actorUserId,
        event.actorApiKeyId,
        event.actorIp,
        event.actorUserAgent,
        event.outcome,
        JSON.stringify(event.payload),
        position,
        head.head_hash,
      ],
    );
    if (!row) return null;
    await tx.query('UPDATE audit.audit_chains SET head_position = $2, head_hash = $3 WHERE chain_id = $1', [chainId, position, row.hash]);
    return { position };
  }

  /**
   * Positions that contain every one of the team's events in a time range: never narrower than the
   * exact first and last, widened only by the events of the hours at the range's two ends (see the
   * audit_event_hours migration). Null when no event occurred in an hour the range touches. Reads at most 24 rows a
   * day of range, however many events the range holds.
   */
  async positionsBetween(teamId: string, from?: Date, to?: Date): Promise<{ lo: string; hi: string } | null> {
    const [row]: { lo: string | null; hi: string | null }[] = await this.uow.reader.query(
      `SELECT min(first_position) AS lo, max(last_position) AS hi FROM audit.audit_event_hours
       WHERE chain_id = $1 AND hour >= coalesce(audit.event_hour($2), '-infinity'::timestamptz) AND hour < coalesce($3, 'infinity'::timestamptz)`,
      [teamId, from ?? null, to ?? null],
    );
    return row.lo === null ? null : { lo: row.lo, hi: row.hi! };
  }

  /**
   * One page of an export: the team's events with positions in (afterPosition, throughPosition]
   * that occurred in [from, to), oldest first, with their hashes.
   */
  async exportPage(teamId: string, afterPosition: string, throughPosition: string, from: Date | undefined, to: Date | undefined, limit: number): Promise<AuditEventEntity[]> {
    return this.uow.reader
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.chain_id = :teamId AND e.position > :after AND e.position <= :through', { teamId, after: afterPosition, through: throughPosition })
      .andWhere(`e.occurred_at >= coalesce(:from, '-infinity'::timestamptz) AND e.occurred_at < coalesce(:to, 'infinity'::timestamptz)`, { from: from ?? null, to: to ?? null })
      .orderBy('e.position', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Newest first. */
  async search(search: AuditSearch): Promise<AuditEventEntity[]> {
    const q = this.uow.reader
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.chain_id = :teamId', { teamId: search.teamId })
      .orderBy('e.position', 'DESC')
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
    if (search.from || search.to) {
      // Positions follow time closely but not exactly (events arrive late), and the planner,
      // assuming no correlation, would walk positions down from the newest until it met the
      // range. Bound the walk by positions that contain the range, from the hourly summary;
      // the time conditions above keep the answer exact.
      const bounds = await this.positionsBetween(search.teamId, search.from, search.to);
      if (!bounds) return [];
      q.andWhere('e.position BETWEEN :lo AND :hi', bounds);
    }
    if (search.beforePosition !== undefined) q.andWhere('e.position < :before', { before: search.beforePosition.toString() });
    return q.getMany();
  }

  /** A team's events after a chain position, oldest first. */
  after(teamId: string, afterPosition: bigint, limit: number): Promise<AuditEventEntity[]> {
    return this.uow.reader
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.chain_id = :teamId AND e.position > :after', { teamId, after: afterPosition.toString() })
      .orderBy('e.position', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** The position of the team's newest event (0 when it has none). */
  async headPosition(teamId: string): Promise<bigint> {
    const [row]: { head_position: string }[] = await this.uow.reader.query('SELECT head_position FROM audit.audit_chains WHERE chain_id = $1', [teamId]);
    return BigInt(row?.head_position ?? 0);
  }

  findByEventIds(eventIds: readonly string[]): Promise<AuditEventEntity[]> {
    return this.uow.reader
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.event_id IN (:...eventIds)', { eventIds })
      .getMany();
  }

  /**
   * Recomputes a team's chain in one pass, in position order: every event's hash from its
   * content and the hash before it, every link, no position skipped, and the last event equal
   * to the recorded head. Returns the first break.
   */
  async verify(teamId: string): Promise<ChainVerification> {
    return this.uow.run(async (tx) => {
      // One snapshot for the head and the events, so an append during verification is not a break.
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const [chain]: { head_position: string; head_hash: Buffer; pruned_position: string; pruned_hash: Buffer }[] = await tx.query(
        'SELECT head_position, head_hash, pruned_position, pruned_hash FROM audit.audit_chains WHERE chain_id = $1',
        [teamId],
      );
      if (!chain) return { eventsChecked: 0, headPosition: '0', headHash: GENESIS_HASH, firstBreak: null };
      const [result]: {
        checked: string;
        last_position: string | null;
        last_hash: Buffer | null;
        break_position: string | null;
        break_event: string | null;
        break_reason: ChainBreakReason | null;
      }[] = await tx.query(
        `WITH e AS (
           SELECT e.event_id, e.position, e.hash,
             CASE
               WHEN e.position <> coalesce(lag(e.position) OVER w, $2::bigint) + 1 THEN 'MISSING_EVENTS'
               WHEN e.prev_hash <> coalesce(lag(e.hash) OVER w, $3::bytea) THEN 'LINK_BROKEN'
               WHEN e.hash <> ${HASH_OF('e', 'e.prev_hash', 'e.position')} THEN 'CONTENT_CHANGED'
             END AS reason
           FROM audit.audit_events e WHERE e.chain_id = $1
           WINDOW w AS (ORDER BY e.position)
         ),
         first_break AS (SELECT position, event_id, reason FROM e WHERE reason IS NOT NULL ORDER BY position LIMIT 1),
         totals AS (SELECT count(*) AS checked, max(position) AS last_position FROM e)
         SELECT t.checked, t.last_position,
           (SELECT hash FROM audit.audit_events WHERE chain_id = $1 AND position = t.last_position) AS last_hash,
           b.position AS break_position, b.event_id AS break_event, b.reason AS break_reason
         FROM totals t LEFT JOIN first_break b ON true`,
        [teamId, chain.pruned_position, chain.pruned_hash],
      );
      let firstBreak: ChainVerification['firstBreak'] = result.break_position
        ? { position: result.break_position, eventId: result.break_event, reason: result.break_reason! }
        : null;
      const lastPosition = result.last_position ?? chain.pruned_position;
      const lastHash = result.last_hash ?? chain.pruned_hash;
      if (!firstBreak && (lastPosition !== chain.head_position || !lastHash.equals(chain.head_hash))) {
        firstBreak = { position: (BigInt(lastPosition) + 1n).toString(), eventId: null, reason: 'TRUNCATED' };
      }
      return { eventsChecked: Number(result.checked), headPosition: chain.head_position, headHash: chain.head_hash, firstBreak };
    });
  }
}
