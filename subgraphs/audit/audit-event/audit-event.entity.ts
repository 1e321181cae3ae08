import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'audit_events' })
export class AuditEventEntity {
  /** Global insertion order. */
  @PrimaryColumn({ type: 'bigint', generated: 'increment' })
  seq: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ name: 'team_id', type: 'uuid', nullable: true })
  teamId: string | null;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  @Column({ type: 'text' })
  description: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType: string;

  @Column({ name: 'actor_user_id', type: 'uuid', nullable: true })
  actorUserId: string | null;

  @Column({ name: 'actor_api_key_id', type: 'uuid', nullable: true })
  actorApiKeyId: string | null;

  @Column({ name: 'actor_ip', type: 'text', nullable: true })
  actorIp: string | null;

  @Column({ name: 'actor_user_agent', type: 'text', nullable: true })
  actorUserAgent: string | null;

  @Column({ type: 'text' })
  outcome: string;

  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  /** The team, or the nil UUID for events of no team: the hash chain the event belongs to. */
  @Column({ name: 'chain_id', type: 'uuid', insert: false, update: false })
  chainId: string;

  /** 1, 2, 3, ... within the chain, in commit order; cursors are built from it. */
  @Column({ type: 'bigint' })
  position: string;

  @Column({ name: 'prev_hash', type: 'bytea' })
  prevHash: Buffer;

  @Column({ type: 'bytea' })
  hash: Buffer;
}
