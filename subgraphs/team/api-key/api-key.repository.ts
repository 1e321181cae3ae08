import { In, IsNull } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { ApiKeyEntity } from './api-key.entity';

/** What the verifier needs about a key, including whether its team still exists. */
export interface ApiKeyRecord extends ApiKeyEntity {
  teamDeleted: boolean;
}

export class ApiKeyRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(tx: Tx, key: ApiKeyEntity): Promise<void> {
    await tx.getRepository(ApiKeyEntity).insert(key);
  }

  async save(tx: Tx, key: ApiKeyEntity): Promise<void> {
    await tx.getRepository(ApiKeyEntity).save(key);
  }

  findByIds(ids: readonly string[]): Promise<ApiKeyEntity[]> {
    return this.uow.reader.getRepository(ApiKeyEntity).findBy({ id: In([...ids]), deletedAt: IsNull() });
  }

  lock(tx: Tx, id: string): Promise<ApiKeyEntity | null> {
    return tx.getRepository(ApiKeyEntity).findOne({ where: { id, deletedAt: IsNull() }, lock: { mode: 'pessimistic_write' } });
  }

  /** The live keys of `wholeTeams`, and of `ownTeams` only those `createdBy` made, oldest first. */
  ofTeams(wholeTeams: string[], ownTeams: string[], createdBy: string): Promise<ApiKeyEntity[]> {
    const where = [
      ...(wholeTeams.length ? [{ teamId: In(wholeTeams), deletedAt: IsNull() }] : []),
      ...(ownTeams.length ? [{ teamId: In(ownTeams), createdBy, deletedAt: IsNull() }] : []),
    ];
    if (where.length === 0) return Promise.resolve([]);
    return this.uow.reader.getRepository(ApiKeyEntity).find({ where, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async findByHashes(hashes: Buffer[]): Promise<ApiKeyRecord[]> {
    if (hashes.length === 0) return [];
    const rows: Record<string, unknown>[] = await this.uow.reader.query(
      `SELECT k.*, t.deleted_at IS NOT NULL AS team_deleted
       FROM team.api_keys k JOIN team.teams t ON t.id = k.team_id WHERE k.secret_hash = ANY($1::bytea[])`,
      [hashes],
    );
    return rows.map((r) =>
      Object.assign(new ApiKeyEntity(), {
        id: r.id as string,
        teamId: r.team_id as string,
        createdBy: r.created_by as string,
        name: r.name as string,
        secretHash: r.secret_hash as Buffer,
        redactedKey: r.redacted_key as string,
        acls: r.acls as string[],
        qps: r.qps as number | null,
        qpm: r.qpm as number | null,
        tpm: r.tpm as string | null,
        createdAt: r.created_at as Date,
        updatedAt: r.updated_at as Date,
        expiresAt: r.expires_at as Date | null,
        disabledAt: r.disabled_at as Date | null,
        leakedAt: r.leaked_at as Date | null,
        deletedAt: r.deleted_at as Date | null,
        lastUsedAt: r.last_used_at as Date | null,
        rotatedTo: r.rotated_to as string | null,
        teamDeleted: r.team_deleted === true,
      }),
    );
  }

  /** One statement for many keys' last use, instead of a write per request. */
  async recordLastUse(uses: Map<string, Date>): Promise<void> {
    if (uses.size === 0) return;
    await this.uow.reader.query(
      `UPDATE team.api_keys k SET last_used_at = GREATEST(k.last_used_at, u.at)
       FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at) WHERE k.id = u.id`,
      [[...uses.keys()], [...uses.values()]],
    );
  }
}
