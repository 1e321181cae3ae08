import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Team's copy of which email each account holds and whether it is verified, kept from Identity's events. */
@Entity({ name: 'user_directory' })
export class DirectoryUserEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  email: string;

  /** The account proved it receives mail there; until then Team neither adds it by address nor mails it. */
  @Column({ name: 'email_verified', type: 'boolean' })
  emailVerified: boolean;

  /** When Identity's event set this address: an older event arriving later does not overwrite it. */
  @Column({ name: 'email_as_of', type: 'timestamptz' })
  emailAsOf: Date;
}
