import { createUnionType, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { TeamMemberType, TeamRoleEnum, TeamUserType } from '../team/team.types';

@ObjectType('TeamInvitation', { description: 'An invitation for an email with no account yet; fulfilled when that person signs up.' })
export class TeamInvitationType {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  email: string;

  @Field(() => TeamRoleEnum)
  role: TeamRoleEnum;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => TeamUserType)
  invitedBy: TeamUserType;
}

export const InviteTeamMemberResult = createUnionType({
  name: 'InviteTeamMemberResult',
  types: () => [TeamMemberType, TeamInvitationType] as const,
  resolveType: (value) => ('email' in value ? 'TeamInvitation' : 'TeamMember'),
});

export enum DomainStatusEnum {
  PENDING = 'PENDING',
  VERIFIED = 'VERIFIED',
}
registerEnumType(DomainStatusEnum, { name: 'DomainStatus' });

export enum DomainJoinPolicyEnum {
  /** Users signing up at the domain join as Members. */
  AUTO = 'AUTO',
  /** Users signing up at the domain ask to join; Admins approve or refuse. */
  ASK = 'ASK',
}
registerEnumType(DomainJoinPolicyEnum, { name: 'DomainJoinPolicy' });

@ObjectType('TeamDomain')
export class TeamDomainType {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  domain: string;

  @Field(() => String, { description: 'The exact TXT record to publish at the domain.' })
  txtRecord: string;

  @Field(() => DomainStatusEnum)
  status: DomainStatusEnum;

  @Field(() => DomainJoinPolicyEnum)
  joinPolicy: DomainJoinPolicyEnum;

  @Field(() => Date, { nullable: true })
  verifiedAt: Date | null;

  @Field(() => Date, { nullable: true })
  checkedAt: Date | null;
}

@ObjectType('TeamJoinRequest')
export class TeamJoinRequestType {
  @Field(() => ID)
  id: string;

  @Field(() => TeamUserType)
  user: TeamUserType;

  @Field(() => String)
  email: string;

  @Field(() => Date)
  createdAt: Date;
}
