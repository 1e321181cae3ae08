import { BigIntScalar } from '../../kit/scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { Permission } from '../../kit/session';
import { TeamType, TeamUserType } from '../team/team.types';

export enum ApiKeyStatusEnum {
  ACTIVE = 'ACTIVE',
  DISABLED = 'DISABLED',
  EXPIRED = 'EXPIRED',
  LEAKED = 'LEAKED',
}
registerEnumType(ApiKeyStatusEnum, { name: 'ApiKeyStatus' });

@Directive('@key(fields: "id")')
@ObjectType('ApiKey')
export class ApiKeyType {
  @Field(() => ID)
  id: string;

  teamId: string;
  createdById: string;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.ApiKeysRead })
  @Field(() => String)
  name: string;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.ApiKeysRead })
  @Field(() => String, { description: 'The key with all but its last characters hidden.' })
  redactedKey: string;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.ApiKeysRead })
  @Field(() => ApiKeyStatusEnum)
  status: ApiKeyStatusEnum;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.ApiKeysRead })
  @Field(() => TeamType)
  team?: TeamType;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.ApiKeysRead })
  @Field(() => TeamUserType)
  createdBy: TeamUserType;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.ApiKeysRead })
  @Field(() => Date)
  createdAt: Date;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.ApiKeysRead })
  @Field(() => Date, { nullable: true })
  lastUsedAt: Date | null;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.ApiKeysRead })
  @Field(() => Date, { nullable: true })
  expiresAt: Date | null;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.ApiKeysRead })
  @Field(() => [String], { description: 'Access rules: `api-key:model:<name|*>`, `api-key:endpoint:<chat|image|*>`. A key may use nothing it is not granted.' })
  acls: string[];

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.ApiKeysRead })
  @Field(() => Int, { nullable: true, description: 'Requests per second; null for no limit.' })
  qps: number | null;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.ApiKeysRead })
  @Field(() => Int, { nullable: true, description: 'Requests per minute; null for no limit.' })
  qpm: number | null;

  @Allow(Access.TeamMember, { team: 'root.teamId', scope: Permission.ApiKeysRead })
  @Field(() => BigIntScalar, { nullable: true, description: 'Tokens per minute; null for no limit.' })
  tpm: bigint | null;
}

@ObjectType('CreatedApiKey')
export class CreatedApiKeyType {
  @Field(() => ApiKeyType)
  apiKey: ApiKeyType;

  @Field(() => String, { description: 'The secret, shown this once; only its hash is kept.' })
  secret: string;
}

@InputType('CreateApiKeyInput')
export class CreateApiKeyInput {
  @Field(() => String)
  name: string;

  @Field(() => Date, { nullable: true })
  expiresAt?: Date | null;

  @Field(() => [String], { nullable: true })
  acls?: string[] | null;

  @Field(() => Int, { nullable: true })
  qps?: number | null;

  @Field(() => Int, { nullable: true })
  qpm?: number | null;

  @Field(() => BigIntScalar, { nullable: true })
  tpm?: bigint | null;
}

@InputType('UpdateApiKeyInput')
export class UpdateApiKeyInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => Date, { nullable: true })
  expiresAt?: Date | null;

  @Field(() => [String], { nullable: true })
  acls?: string[] | null;

  @Field(() => Int, { nullable: true })
  qps?: number | null;

  @Field(() => Int, { nullable: true })
  qpm?: number | null;

  @Field(() => BigIntScalar, { nullable: true })
  tpm?: bigint | null;
}
