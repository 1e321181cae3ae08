import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Logger } from '../subgraphs/kit/logger';

/**
 * Gives every request error a stable `extensions.code`. GraphQL reports a variable of the
 * wrong type without one; clients branch on codes, not messages.
 */
export function withErrorCodes(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  let changed = false;
  const errors = result.errors.map((error) => {
    if (error.extensions?.code) return error;
    if (!/^Variable "\$[^"]+"/.test(error.message)) return error;
    changed = true;
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
    });
  });
  return changed ? { ...result, errors } : result;
}

/**
 * An error without a code, or one the gateway itself masked, is internal: clients get a generic
 * message and the request id that finds it in the logs, never the cause.
 */
export function maskInternalErrors(result: ExecutionResult, requestId: string | undefined, logger: Logger): ExecutionResult {
  if (!result.errors?.length) return result;
  let changed = false;
  const errors = result.errors.map((error) => {
    const code = error.extensions?.code;
    const internal = !code || code === 'INTERNAL_SERVER_ERROR' || error.extensions?.unexpected === true;
    if (!internal) return error;
    if (error.message === 'Internal server error' && error.extensions?.requestId) return error;
    changed = true;
    logger.error({ err: error.originalError ?? error, message: error.message, path: error.path, requestId }, 'internal error');
    return new GraphQLError('Internal server error', { path: error.path, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } });
  });
  return changed ? { ...result, errors } : result;
}

export function useErrorCodes(logger: Logger) {
  return {
    onExecute({ args }: { args: { contextValue: { requestId?: string } } }) {
      return {
        onExecuteDone({ result, setResult }: { result: unknown; setResult: (r: ExecutionResult) => void }) {
          if (result && typeof result === 'object' && 'errors' in result) {
            setResult(maskInternalErrors(withErrorCodes(result as ExecutionResult), args.contextValue.requestId, logger));
          }
        },
      };
    },
  };
}
