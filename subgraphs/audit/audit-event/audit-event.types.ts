import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

@ObjectType('AuditActor')
export class AuditActorType {
  @Field(() => ID, { nullable: true })
  userId: string | null;

  @Field(() => ID, { nullable: true })
  apiKeyId: string | null;

  @Field(() => String, { nullable: true })
  ip: string | null;

  @Field(() => String, { nullable: true })
  userAgent: string | null;
}

@ObjectType('AuditEvent')
export class AuditEventType {
  @Field(() => ID, { description: 'The event ID users search by.' })
  id: string;

  @Field(() => String)
  cursor: string;

  @Field(() => ID)
  teamId: string;

  @Field(() => Date)
  occurredAt: Date;

  @Field(() => String, { description: 'The action, e.g. "ListApiKeys", "CreateApiKey".' })
  description: string;

  @Field(() => AuditActorType)
  actor: AuditActorType;

  @Field(() => String)
  outcome: string;
}

@ObjectType('AuditEventEdge')
export class AuditEventEdgeType {
  @Field(() => String)
  cursor: string;

  @Field(() => AuditEventType)
  node: AuditEventType;
}

@ObjectType('PageInfo')
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

@ObjectType('AuditEventConnection')
export class AuditEventConnectionType {
  @Field(() => [AuditEventEdgeType])
  edges: AuditEventEdgeType[];

  @Field(() => PageInfoType)
  pageInfo: PageInfoType;
}

@InputType('AuditLogFilter')
export class AuditLogFilterInput {
  @Field(() => ID, { nullable: true })
  eventId?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => ID, { nullable: true })
  userId?: string | null;

  @Field(() => Date, { nullable: true })
  from?: Date | null;

  @Field(() => Date, { nullable: true })
  to?: Date | null;
}

export enum AuditChainBreakReason {
  /** A position is skipped: events were deleted from the middle. */
  MISSING_EVENTS = 'MISSING_EVENTS',
  /** The event does not link to the one before it: events were deleted, inserted or reordered. */
  LINK_BROKEN = 'LINK_BROKEN',
  /** The event's content no longer matches its hash: it was edited. */
  CONTENT_CHANGED = 'CONTENT_CHANGED',
  /** The newest events are missing: the log ends before the recorded head. */
  TRUNCATED = 'TRUNCATED',
}
registerEnumType(AuditChainBreakReason, { name: 'AuditChainBreakReason', description: 'Why the audit hash chain is broken at an event.' });

@ObjectType('AuditChainBreak')
export class AuditChainBreakType {
  @Field(() => BigInt, { description: "The first position in the team's chain that does not verify." })
  position: bigint;

  @Field(() => ID, { nullable: true, description: 'The event at that position, if there is one.' })
  eventId: string | null;

  @Field(() => AuditChainBreakReason)
  reason: `${AuditChainBreakReason}`;
}

@ObjectType('AuditLogVerification')
export class AuditLogVerificationType {
  @Field(() => Boolean, { description: 'True when every kept event verifies and the log ends at the recorded head.' })
  ok: boolean;

  @Field(() => Int)
  eventsChecked: number;

  @Field(() => BigInt, { description: 'Position of the newest event recorded for the team.' })
  headPosition: bigint;

  @Field(() => String, { description: "Hex SHA-256 of the newest event: keep it elsewhere to prove later that history was not rewritten." })
  headHash: string;

  @Field(() => AuditChainBreakType, { nullable: true })
  firstBreak: AuditChainBreakType | null;
}

@Directive('@key(fields: "id")')
@ObjectType('Team')
export class AuditTeamType {
  @Field(() => ID)
  id: string;
}
