import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Access, Allow } from '../../kit/access';
import type { BillingContext } from '../billing.context';
import { RecordUsageResultType, UsageEventInput } from './metering.types';

@Resolver()
export class MeteringResolver {
  @Allow(Access.UsageReporter)
  @Mutation(() => RecordUsageResultType, { description: 'Bills a batch of inference requests to their teams at once. Usage reporters only.' })
  recordUsage(@Arg('events', () => [UsageEventInput]) events: UsageEventInput[], @Ctx() ctx: BillingContext): Promise<RecordUsageResultType> {
    return ctx.services.metering.record(
      ctx.session,
      events.map((e) => ({
        requestId: e.requestId,
        teamId: e.teamId,
        apiKeyId: e.apiKeyId,
        model: e.model,
        promptTokens: e.promptTokens,
        cachedPromptTokens: e.cachedPromptTokens ?? 0,
        completionTokens: e.completionTokens,
        occurredAt: e.occurredAt ?? new Date(),
        log: { requestBytes: e.requestBytes, responseBytes: e.responseBytes, bodyDigest: e.bodyDigest, requestBody: e.requestBody, responseBody: e.responseBody },
      })),
    );
  }
}
