import { In, IsNull } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { ManagementKeyEntity } from './management-key.entity';

export class ManagementKeyRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(tx: Tx, key: ManagementKeyEntity): Promise<void> {
    await tx.getRepository(ManagementKeyEntity).insert(key);
  }

  ofTeams(teamIds: readonly string[]): Promise<ManagementKeyEntity[]> {
    return this.uow.reader.getRepository(ManagementKeyEntity).find({ where: { teamId: In([...teamIds]), revokedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }

  /** Live keys by secret hash, whose team still exists. */
  async findLiveByHashes(hashes: Buffer[]): Promise<ManagementKeyEntity[]> {
    if (hashes.length === 0) return [];
    return this.uow.reader
      .getRepository(ManagementKeyEntity)
      .createQueryBuilder('k')
      .where({ secretHash: In(hashes), revokedAt: IsNull() })
      .andWhere('EXISTS (SELECT 1 FROM team.teams t WHERE t.id = k.team_id AND t.deleted_at IS NULL)')
      .getMany();
  }

  async revoke(tx: Tx, teamId: string, id: string, at: Date): Promise<boolean> {
    const result = await tx.getRepository(ManagementKeyEntity).update({ id, teamId, revokedAt: IsNull() }, { revokedAt: at });
    return (result.affected ?? 0) > 0;
  }
}
