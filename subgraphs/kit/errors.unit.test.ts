import { GraphQLError } from 'graphql';
import { DomainError, formatError } from './errors';
import { createLogger } from './logger';

const logger = createLogger('test', 'silent');

describe('formatError', () => {
  it('keeps a domain error’s code, message and details', () => {
    const original = new DomainError('EMAIL_TAKEN', 'taken', { field: 'email' });
    const error = new GraphQLError('taken', { originalError: original, path: ['signUp'] });
    expect(formatError(error.toJSON(), error, logger)).toEqual({ message: 'taken', path: ['signUp'], locations: undefined, extensions: { code: 'EMAIL_TAKEN', field: 'email' } });
  });

  it('masks an unexpected error and leaves no trace of it', () => {
    const error = new GraphQLError('boom', { originalError: new Error('connection to 10.0.0.5 refused'), path: ['me'] });
    const formatted = formatError({ ...error.toJSON(), extensions: { stacktrace: ['at x'] } }, error, logger, 'req-9');
    expect(formatted.message).toBe('Internal server error');
    expect(formatted.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-9' });
    expect(JSON.stringify(formatted)).not.toContain('10.0.0.5');
  });

  it('passes GraphQL validation errors through with their code', () => {
    const error = new GraphQLError('Cannot query field "x"', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(formatError(error.toJSON(), error, logger).extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });
});
