import { In } from 'typeorm';
import type { UnitOfWork } from '../../kit/transaction';
import { PaymentMethodEntity } from './payment-method.entity';

export class PaymentMethodRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(method: PaymentMethodEntity): Promise<PaymentMethodEntity> {
    await this.uow.reader.getRepository(PaymentMethodEntity).insert(method);
    return method;
  }

  findOfTeams(teamIds: readonly string[]): Promise<PaymentMethodEntity[]> {
    return this.uow.reader.getRepository(PaymentMethodEntity).find({ where: { teamId: In([...teamIds]) }, order: { createdAt: 'ASC' } });
  }

  findOne(teamId: string, id: string): Promise<PaymentMethodEntity | null> {
    return this.uow.reader.getRepository(PaymentMethodEntity).findOneBy({ teamId, id });
  }
}
