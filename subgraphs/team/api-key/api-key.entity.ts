import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A team-owned API key. Only a hash of the secret is stored. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'team_id', type: 'uuid' })
  teamId: string;

  @Column({ name: 'created_by', type: 'uuid' })
  createdBy: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'secret_hash', type: 'bytea' })
  secretHash: Buffer;

  @Column({ name: 'redacted_key', type: 'text' })
  redactedKey: string;

  /** ACL strings: `api-key:model:<name|*>`, `api-key:endpoint:<chat|image|*>`. None means no access. */
  @Column({ type: 'text', array: true })
  acls: string[];

  @Column({ type: 'int', nullable: true })
  qps: number | null;

  @Column({ type: 'int', nullable: true })
  qpm: number | null;

  @Column({ type: 'bigint', nullable: true })
  tpm: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  @Column({ name: 'leaked_at', type: 'timestamptz', nullable: true })
  leakedAt: Date | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  /** Set on a key replaced by rotation: the key that replaced it. */
  @Column({ name: 'rotated_to', type: 'uuid', nullable: true })
  rotatedTo: string | null;
}
