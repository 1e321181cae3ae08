import type { Session } from '../../kit/session';
import type { UserEntity } from './user.entity';
import type { UserRepository } from './user.repository';

export class UserService {
  constructor(private readonly users: UserRepository) {}

  findByIds(ids: readonly string[]): Promise<UserEntity[]> {
    return this.users.findByIds(ids);
  }

  /** The signed-in user's id, or null for an anonymous caller. */
  currentUserId(session: Session): string | null {
    return session.userId ?? null;
  }
}
