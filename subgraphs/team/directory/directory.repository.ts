import { In } from 'typeorm';
import type { Tx, UnitOfWork } from '../../kit/transaction';
import { DirectoryUserEntity } from './directory-user.entity';

export class DirectoryRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async record(tx: Tx, userId: string, email: string): Promise<void> {
    await tx.createQueryBuilder().insert().into(DirectoryUserEntity).values({ userId, email }).orUpdate(['email'], ['user_id']).execute();
  }

  async forget(tx: Tx, userId: string): Promise<void> {
    await tx.getRepository(DirectoryUserEntity).delete({ userId });
  }

  findByUsers(userIds: readonly string[]): Promise<DirectoryUserEntity[]> {
    return userIds.length ? this.uow.reader.getRepository(DirectoryUserEntity).findBy({ userId: In([...userIds]) }) : Promise.resolve([]);
  }

  findByUser(userId: string): Promise<DirectoryUserEntity[]> {
    return this.uow.reader.getRepository(DirectoryUserEntity).findBy({ userId });
  }

  findByEmail(email: string): Promise<DirectoryUserEntity[]> {
    return this.uow.reader.getRepository(DirectoryUserEntity).createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email }).getMany();
  }
}
