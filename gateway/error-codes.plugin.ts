import { GraphQLError, type ExecutionResult } from 'graphql';

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

export function useErrorCodes() {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }: { result: unknown; setResult: (r: ExecutionResult) => void }) {
          if (result && typeof result === 'object' && 'errors' in result) setResult(withErrorCodes(result as ExecutionResult));
        },
      };
    },
  };
}
