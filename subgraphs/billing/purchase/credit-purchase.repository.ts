import type { Tx, UnitOfWork } from '../../kit/transaction';
import { CreditPurchaseEntity, type CreditPurchaseStatus } from './credit-purchase.entity';

export class CreditPurchaseRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Inserts the purchase unless the team already used its idempotency key; returns the one that holds the key. */
  async claim(purchase: CreditPurchaseEntity): Promise<{ purchase: CreditPurchaseEntity; claimed: boolean }> {
    const result = await this.uow.reader
      .createQueryBuilder()
      .insert()
      .into(CreditPurchaseEntity)
      .values(purchase)
      .orIgnore()
      .returning(['id'])
      .execute();
    if (result.raw.length > 0) return { purchase, claimed: true };
    const existing = await this.uow.reader.getRepository(CreditPurchaseEntity).findOneByOrFail({ teamId: purchase.teamId, idempotencyKey: purchase.idempotencyKey });
    return { purchase: existing, claimed: false };
  }

  findOne(teamId: string, id: string): Promise<CreditPurchaseEntity | null> {
    return this.uow.reader.getRepository(CreditPurchaseEntity).findOneBy({ teamId, id });
  }

  async lock(tx: Tx, id: string): Promise<CreditPurchaseEntity> {
    return tx.getRepository(CreditPurchaseEntity).findOneOrFail({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Moves a purchase on from one of `from`; false when another request already moved it. */
  async transition(
    id: string,
    from: CreditPurchaseStatus[],
    to: Partial<Pick<CreditPurchaseEntity, 'status' | 'chargeId' | 'failureCode' | 'failureMessage' | 'refundedTicks'>> & { updatedAt: Date },
    tx?: Tx,
  ): Promise<boolean> {
    const result = await (tx ?? this.uow.reader)
      .createQueryBuilder()
      .update(CreditPurchaseEntity)
      .set(to)
      .where('id = :id AND status IN (:...from)', { id, from })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
