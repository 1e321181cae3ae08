import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import { Permission } from '../../kit/session';
import { actorOf, type TeamContext } from '../team.context';
import { TeamType } from '../team/team.types';
import type { ApiKeyEntity } from './api-key.entity';
import { statusOf } from './api-key-status';
import { ApiKeyStatusEnum, ApiKeyType, CreateApiKeyInput, CreatedApiKeyType, UpdateApiKeyInput } from './api-key.types';

export function toApiKey(key: ApiKeyEntity, now = new Date()): ApiKeyType {
  return {
    id: key.id,
    teamId: key.teamId,
    createdById: key.createdBy,
    name: key.name,
    redactedKey: key.redactedKey,
    status: statusOf(key, now) as ApiKeyStatusEnum,
    createdBy: { id: key.createdBy },
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt,
    expiresAt: key.expiresAt,
    acls: key.acls,
    qps: key.qps,
    qpm: key.qpm,
    tpm: key.tpm === null ? null : BigInt(key.tpm),
  };
}

@Resolver(() => ApiKeyType)
export class ApiKeyResolver {
  @Allow(Access.TeamMember, { team: 'args.teamId', scope: Permission.ApiKeysWrite })
  @Mutation(() => CreatedApiKeyType, { description: 'Creates a key; its secret is in the answer and nowhere else.' })
  async createApiKey(@Arg('teamId', () => ID) teamId: string, @Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: TeamContext): Promise<CreatedApiKeyType> {
    const { key, secret } = await ctx.services.apiKeys.create(ctx.session, teamId, input, actorOf(ctx));
    return { apiKey: toApiKey(key), secret };
  }

  @Allow(Access.TeamMember, { team: 'args.id', teamOf: 'ApiKey', scope: Permission.ApiKeysWrite })
  @Mutation(() => ApiKeyType)
  async updateApiKey(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateApiKeyInput) input: UpdateApiKeyInput, @Ctx() ctx: TeamContext): Promise<ApiKeyType> {
    return toApiKey(await ctx.services.apiKeys.update(ctx.session, id, { ...input, name: input.name ?? undefined }, actorOf(ctx)));
  }

  @Allow(Access.TeamMember, { team: 'args.id', teamOf: 'ApiKey', scope: Permission.ApiKeysWrite })
  @Mutation(() => ApiKeyType)
  async disableApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: TeamContext): Promise<ApiKeyType> {
    return toApiKey(await ctx.services.apiKeys.disable(ctx.session, id, actorOf(ctx)));
  }

  @Allow(Access.TeamMember, { team: 'args.id', teamOf: 'ApiKey', scope: Permission.ApiKeysWrite })
  @Mutation(() => ApiKeyType)
  async enableApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: TeamContext): Promise<ApiKeyType> {
    return toApiKey(await ctx.services.apiKeys.enable(ctx.session, id, actorOf(ctx)));
  }

  @Allow(Access.TeamMember, { team: 'args.id', teamOf: 'ApiKey', scope: Permission.ApiKeysWrite })
  @Mutation(() => Boolean)
  deleteApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: TeamContext): Promise<boolean> {
    return ctx.services.apiKeys.delete(ctx.session, id, actorOf(ctx));
  }

  @Allow(Access.TeamMember, { team: 'args.id', teamOf: 'ApiKey', scope: Permission.ApiKeysWrite })
  @Mutation(() => CreatedApiKeyType, { description: 'A new secret with the same settings; the old one works for graceSeconds (0 to 7 days) more.' })
  async rotateApiKey(
    @Arg('id', () => ID) id: string,
    @Arg('graceSeconds', () => Int, { nullable: true }) graceSeconds: number | null,
    @Ctx() ctx: TeamContext,
  ): Promise<CreatedApiKeyType> {
    const { key, secret } = await ctx.services.apiKeys.rotate(ctx.session, id, graceSeconds ?? 0, actorOf(ctx));
    return { apiKey: toApiKey(key), secret };
  }

  @FieldResolver(() => TeamType)
  async team(@Root() key: ApiKeyType, @Ctx() ctx: TeamContext): Promise<TeamType> {
    const team = await ctx.loaders.team.load(key.teamId);
    if (!team) throw new Error(`key ${key.id} refers to a missing team`);
    return team;
  }
}

@Resolver(() => TeamType)
export class TeamApiKeysResolver {
  @Allow(Access.TeamMember, { team: 'root.id', scope: Permission.ApiKeysRead })
  @FieldResolver(() => [ApiKeyType], { description: "Admins see all the team's keys; Members the keys they created." })
  async apiKeys(@Root() team: TeamType, @Ctx() ctx: TeamContext): Promise<ApiKeyType[]> {
    return (await ctx.loaders.apiKeysOfTeam.load(team.id)).map((k) => toApiKey(k));
  }
}
