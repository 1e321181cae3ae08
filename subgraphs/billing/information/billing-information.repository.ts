import { In } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { BillingInformationEntity } from './billing-information.entity';

export class BillingInformationRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async save(info: BillingInformationEntity): Promise<BillingInformationEntity> {
    await this.uow.reader.getRepository(BillingInformationEntity).upsert(info, ['teamId']);
    return info;
  }

  findOfTeams(teamIds: readonly string[]): Promise<BillingInformationEntity[]> {
    return this.uow.reader.getRepository(BillingInformationEntity).findBy({ teamId: In([...teamIds]) });
  }

  /** The team's billing information as the transaction sees it. */
  findIn(tx: Tx, teamId: string): Promise<BillingInformationEntity | null> {
    return tx.getRepository(BillingInformationEntity).findOneBy({ teamId });
  }
}
