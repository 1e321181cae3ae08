import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';

@InputType('UsageEventInput')
export class UsageEventInput {
  @Field(() => ID, { description: 'Billed at most once, ever.' })
  requestId: string;

  @Field(() => ID, {
    nullable: true,
    description: "Optional: the team the reporter believes the key belongs to. The key's team is billed; when this disagrees, the event is rejected with API_KEY_TEAM_MISMATCH.",
  })
  teamId?: string | null;

  @Field(() => ID, { description: 'The API key the request was made with; its team is billed.' })
  apiKeyId: string;

  @Field(() => String)
  model: string;

  @Field(() => Int, { description: 'Prompt tokens the request used, cached ones included; the model’s pre-defined prompt tokens are added when billing.' })
  promptTokens: number;

  @Field(() => Int, { nullable: true, description: 'The part of promptTokens served from the prompt cache.' })
  cachedPromptTokens?: number | null;

  @Field(() => Int)
  completionTokens: number;

  @Field(() => Date, { nullable: true })
  occurredAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'Size of the request body in bytes, for the API request log.' })
  requestBytes?: number | null;

  @Field(() => Int, { nullable: true, description: 'Size of the response body in bytes, for the API request log.' })
  responseBytes?: number | null;

  @Field(() => String, { nullable: true, description: 'SHA-256 (hex) of the request and response bodies; computed from the bodies when they are sent instead.' })
  bodyDigest?: string | null;

  @Field(() => String, { nullable: true, description: 'The request body; kept in the API request log only where the deployment enables it (30 days).' })
  requestBody?: string | null;

  @Field(() => String, { nullable: true, description: 'The response body; kept in the API request log only where the deployment enables it (30 days).' })
  responseBody?: string | null;
}

@ObjectType('UsageRejection')
export class UsageRejectionType {
  @Field(() => ID)
  requestId: string;

  @Field(() => String, {
    description:
      'INSUFFICIENT_CREDITS, SPENDING_LIMIT_REACHED, API_KEY_SPEND_CAP_REACHED, UNKNOWN_API_KEY, API_KEY_REVOKED, API_KEY_TEAM_MISMATCH, UNKNOWN_MODEL or BAD_USER_INPUT.',
  })
  code: string;

  @Field(() => String)
  message: string;

  @Field(() => Boolean, { description: 'Whether sending the same event again later may succeed: UNKNOWN_API_KEY, for a key created moments ago that Billing has not seen yet.' })
  retryable: boolean;
}

@ObjectType('RecordUsageResult')
export class RecordUsageResultType {
  @Field(() => Int)
  accepted: number;

  @Field(() => Int, { description: 'Events whose requestId was billed before; charged nothing.' })
  duplicates: number;

  @Field(() => [UsageRejectionType], { description: 'Events charged nothing, with why.' })
  rejected: UsageRejectionType[];
}
