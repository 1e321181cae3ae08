import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives, type IResolvers } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';
import { scalarsMap } from './scalars';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@override", "@tag"])';

export interface FederatedSchemaOptions {
  // type-graphql resolver classes
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: NonEmptyArray<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  orphanedTypes?: Function[];
  /** `__resolveReference` (and other) resolvers per entity type, merged into type-graphql's map. */
  referenceResolvers?: IResolvers;
}

/**
 * type-graphql insists on a pub/sub object when a schema has subscriptions. Ours each declare
 * their own `subscribe` (which authorizes the caller first), so topic-based ones are refused.
 */
const topicSubscriptionsRefused = {
  publish(): void {
    throw new Error('Publish through the subgraph\'s live pub/sub, not type-graphql');
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error('Subscriptions must declare their own subscribe function');
  },
};

/** The type-graphql schema before federation: it still carries field extensions (access rules). */
export function buildAnnotatedSchema(options: FederatedSchemaOptions): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: options.resolvers,
    orphanedTypes: options.orphanedTypes,
    scalarsMap,
    pubSub: topicSubscriptionsRefused,
    validate: false,
    skipCheck: true,
  });
}

/** Builds a federation-2 subgraph schema from type-graphql classes. */
export async function buildFederatedSchema(options: FederatedSchemaOptions): Promise<GraphQLSchema> {
  const schema = await buildAnnotatedSchema(options);
  const typeDefs = parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`);
  const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  for (const [typeName, fields] of Object.entries(options.referenceResolvers ?? {})) {
    resolvers[typeName] = { ...(resolvers[typeName] ?? {}), ...(fields as Record<string, unknown>) };
  }
  return buildSubgraphSchema({ typeDefs, resolvers: resolvers as never });
}

/** The subgraph SDL as composition sees it. */
export function printSubgraphSdl(schema: GraphQLSchema): string {
  return printSubgraphSchema(schema).trim() + '\n';
}
