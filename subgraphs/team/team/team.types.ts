import { Directive, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { managementScopes, Permission } from '../../kit/session';

export enum TeamRoleEnum {
  ADMIN = 'ADMIN',
  MEMBER = 'MEMBER',
}
registerEnumType(TeamRoleEnum, { name: 'TeamRole' });

@Directive('@key(fields: "id")')
@ObjectType('Team')
export class TeamType {
  @Field(() => ID)
  id: string;

  @Allow(Access.TeamMember, { team: 'root.id', scope: managementScopes })
  @Field(() => String)
  name: string;

  @Allow(Access.TeamMember, { team: 'root.id', scope: managementScopes })
  @Field(() => String, { nullable: true })
  description: string | null;

  @Allow(Access.TeamMember, { team: 'root.id', scope: managementScopes })
  @Field(() => Boolean)
  isPersonal: boolean;
}

@Directive('@key(fields: "id")')
@ObjectType('User')
export class TeamUserType {
  @Field(() => ID)
  id: string;
}

@ObjectType('TeamMember')
export class TeamMemberType {
  teamId: string;
  userId: string;

  @Field(() => TeamType)
  team?: TeamType;

  @Field(() => TeamUserType)
  user?: TeamUserType;

  @Field(() => TeamRoleEnum)
  role: TeamRoleEnum;
}

@InputType()
export class CreateTeamInput {
  @Field(() => String)
  name: string;

  @Field(() => String, { nullable: true })
  description?: string | null;
}

@InputType()
export class UpdateTeamInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;
}
