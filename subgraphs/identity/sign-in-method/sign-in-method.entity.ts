import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { SignInMethodKind } from '../auth/auth.types';

/** One way a user signs in: their password, or their identity (`subject`) at X or Google. */
@Entity({ name: 'sign_in_methods' })
export class SignInMethodEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  kind: SignInMethodKind;

  /** The provider's `sub` claim; null for EMAIL_PASSWORD. */
  @Column({ type: 'text', nullable: true })
  subject: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
