import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';

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

@Directive('@key(fields: "id")')
@ObjectType('Team')
export class AuditTeamType {
  @Field(() => ID)
  id: string;
}
