import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError } from 'graphql';
import { costLimitRule } from './operation-cost';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  /** Operations in one batched HTTP request. */
  maxBatch: number;
  /** Bytes of one HTTP request body. */
  maxBodyBytes: number;
  /** Characters of one document. */
  maxDocumentLength: number;
  /** Characters of any one string in the variables. */
  maxVariableStringLength: number;
}

/** Generous for every operation the console sends, hostile to anything built to exhaust us. */
export const defaultLimits: OperationLimits = {
  maxDepth: 12,
  maxAliases: 15,
  maxDirectives: 10,
  maxTokens: 2000,
  maxCost: 5000,
  maxBatch: 5,
  maxBodyBytes: 256 * 1024,
  maxDocumentLength: 32 * 1024,
  maxVariableStringLength: 10_000,
};

export function longestString(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length;
  if (depth > 20 || value === null || typeof value !== 'object') return depth > 20 ? Infinity : 0;
  let longest = 0;
  for (const v of Array.isArray(value) ? value : Object.values(value)) longest = Math.max(longest, longestString(v, depth + 1));
  return longest;
}

const codes: Record<string, string> = {
  'max-depth': 'QUERY_TOO_DEEP',
  'max-aliases': 'TOO_MANY_ALIASES',
  'max-directives': 'TOO_MANY_DIRECTIVES',
  'max-tokens': 'QUERY_TOO_LARGE',
};

/**
 * Turns hostile operations away during parsing and validation, before any resolver runs, on
 * HTTP and WebSocket alike. Outside development the messages do not reveal the limits.
 */
export function operationLimitPlugins(limits: OperationLimits, production: boolean) {
  const exposeLimits = !production;
  const reject = (kind: string) => ({
    propagateOnRejection: true,
    exposeLimits,
    onReject: [
      (_ctx: unknown, error: GraphQLError) => {
        (error.extensions as Record<string, unknown>).code = codes[kind];
      },
    ],
  });
  return [
    maxTokensPlugin({ n: limits.maxTokens, ...reject('max-tokens') }),
    maxDepthPlugin({ n: limits.maxDepth, ignoreIntrospection: !production, flattenFragments: true, ...reject('max-depth') }),
    maxAliasesPlugin({ n: limits.maxAliases, allowList: [], ...reject('max-aliases') }),
    maxDirectivesPlugin({ n: limits.maxDirectives, ...reject('max-directives') }),
    ...(production ? [blockFieldSuggestionsPlugin()] : []),
    {
      onValidate({ addValidationRule }: { addValidationRule: (rule: unknown) => void }) {
        addValidationRule(costLimitRule(limits.maxCost, exposeLimits));
      },
      onParams({ params }: { params: { variables?: unknown; query?: unknown } }) {
        if (typeof params !== 'object' || params === null || Array.isArray(params) || (params.query !== undefined && typeof params.query !== 'string')) {
          throw new GraphQLError('A GraphQL request is an object with a query string', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
        }
        if (params.variables && longestString(params.variables) > limits.maxVariableStringLength) {
          throw new GraphQLError(exposeLimits ? `Variables hold a string over ${limits.maxVariableStringLength} characters (or nest too deep)` : 'Variables too large', {
            extensions: { code: 'VARIABLES_TOO_LARGE', http: { status: 413 } },
          });
        }
      },
      onParse({ params }: { params: { source: string | { body: string } } }) {
        const source = typeof params.source === 'string' ? params.source : params.source.body;
        if (source.length > limits.maxDocumentLength) {
          throw new GraphQLError(exposeLimits ? `Document is over ${limits.maxDocumentLength} characters` : 'Document is too large', {
            extensions: { code: 'QUERY_TOO_LARGE', http: { status: 413 } },
          });
        }
      },
    },
  ];
}
