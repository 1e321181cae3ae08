import { In } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { UserEntity } from './user.entity';

export class UserRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findByIds(ids: readonly string[]): Promise<UserEntity[]> {
    return this.uow.reader.getRepository(UserEntity).findBy({ id: In([...ids]) });
  }

  /** The account that signs in with this email and a password. */
  findPasswordAccountByEmail(email: string): Promise<UserEntity | null> {
    return this.uow.reader
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email })
      .andWhere('u.password_hash IS NOT NULL')
      .getOne();
  }

  async insert(tx: Tx, user: Pick<UserEntity, 'id' | 'email' | 'passwordHash'>): Promise<UserEntity> {
    return tx.getRepository(UserEntity).save(tx.getRepository(UserEntity).create(user));
  }
}
