import { Arg, Ctx, Field, FieldResolver, ID, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { actorOf, type TeamContext } from '../team.context';
import { TeamType } from '../team/team.types';
import type { ManagementKeyEntity } from './management-key.entity';

@ObjectType('ManagementKey', { description: "A partner's key to use the graph for this team, limited to its scopes." })
export class ManagementKeyType {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  name: string;

  @Field(() => String)
  redactedKey: string;

  @Field(() => [String], { description: 'Granted scopes: team:read, billing:read, audit:read, api-keys:read, api-keys:write.' })
  scopes: string[];

  @Field(() => Date)
  createdAt: Date;
}

@ObjectType('CreatedManagementKey')
export class CreatedManagementKeyType {
  @Field(() => ManagementKeyType)
  managementKey: ManagementKeyType;

  @Field(() => String, { description: 'The secret, shown this once.' })
  secret: string;
}

const toType = (k: ManagementKeyEntity): ManagementKeyType => ({ id: k.id, name: k.name, redactedKey: k.redactedKey, scopes: k.scopes, createdAt: k.createdAt });

@Resolver(() => TeamType)
export class ManagementKeyResolver {
  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => CreatedManagementKeyType)
  async createManagementKey(
    @Arg('teamId', () => ID) teamId: string,
    @Arg('name', () => String) name: string,
    @Arg('scopes', () => [String]) scopes: string[],
    @Ctx() ctx: TeamContext,
  ): Promise<CreatedManagementKeyType> {
    const { key, secret } = await ctx.services.managementKeys.create(ctx.session, teamId, name, scopes, actorOf(ctx));
    return { managementKey: toType(key), secret };
  }

  @Allow(Access.TeamAdmin, { team: 'args.teamId' })
  @Mutation(() => Boolean)
  revokeManagementKey(@Arg('teamId', () => ID) teamId: string, @Arg('id', () => ID) id: string, @Ctx() ctx: TeamContext): Promise<boolean> {
    return ctx.services.managementKeys.revoke(ctx.session, teamId, id, actorOf(ctx));
  }

  @Allow(Access.TeamAdmin, { team: 'root.id' })
  @FieldResolver(() => [ManagementKeyType], { description: 'Admins only.' })
  async managementKeys(@Root() team: TeamType, @Ctx() ctx: TeamContext): Promise<ManagementKeyType[]> {
    return (await ctx.loaders.managementKeysOfTeam.load(team.id)).map(toType);
  }
}
