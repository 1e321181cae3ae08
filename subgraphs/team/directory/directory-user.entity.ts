import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Team's copy of who signed up with which email, kept from Identity's events. */
@Entity({ name: 'user_directory' })
export class DirectoryUserEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  email: string;
}
