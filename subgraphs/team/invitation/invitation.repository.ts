import { In } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { InvitationEntity } from './invitation.entity';

export class InvitationRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(tx: Tx, invitation: InvitationEntity): Promise<void> {
    await tx.getRepository(InvitationEntity).insert(invitation);
  }

  pendingOfTeams(teamIds: readonly string[]): Promise<InvitationEntity[]> {
    return this.uow.reader.getRepository(InvitationEntity).find({ where: { teamId: In([...teamIds]), status: 'PENDING' }, order: { createdAt: 'ASC' } });
  }

  /** Pending invitations for an email, locked so two deliveries cannot both accept one. */
  lockPendingForEmail(tx: Tx, email: string): Promise<InvitationEntity[]> {
    return tx
      .getRepository(InvitationEntity)
      .createQueryBuilder('i')
      .setLock('pessimistic_write')
      .where(`lower(i.email) = lower(:email) AND i.status = 'PENDING'`, { email })
      .getMany();
  }

  async setStatus(tx: Tx, id: string, status: 'ACCEPTED' | 'CANCELLED', acceptedBy: string | null = null): Promise<boolean> {
    const result = await tx.getRepository(InvitationEntity).update({ id, status: 'PENDING' }, { status, acceptedBy });
    return (result.affected ?? 0) > 0;
  }

  findPending(tx: Tx, teamId: string, id: string): Promise<InvitationEntity | null> {
    return tx.getRepository(InvitationEntity).findOne({ where: { id, teamId, status: 'PENDING' }, lock: { mode: 'pessimistic_write' } });
  }
}
