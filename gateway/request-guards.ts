import { sha256 } from '../subgraphs/kit/digest';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';

export interface Refusal {
  status: number;
  code: string;
  message: string;
}

const JSON_TYPES = /^application\/(json|graphql-response\+json)\b/i;

/**
 * Refused before GraphQL sees the request: bodies over the limit, bodies of unknown length, and
 * POSTs that are not JSON. The last also stops cross-site form posts (CSRF): a browser cannot
 * send application/json to another origin without a CORS preflight we do not grant.
 */
export function refuseRequest(req: IncomingMessage, maxBodyBytes: number): Refusal | undefined {
  if (req.method !== 'POST') return undefined;
  const type = req.headers['content-type'] ?? '';
  if (!JSON_TYPES.test(type)) return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send GraphQL requests as application/json' };
  const length = req.headers['content-length'];
  if (length === undefined) return { status: 411, code: 'LENGTH_REQUIRED', message: 'A Content-Length header is required' };
  if (Number(length) > maxBodyBytes) return { status: 413, code: 'REQUEST_TOO_LARGE', message: 'Request body too large' };
  return undefined;
}

function isOperation(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { query, variables, operationName, extensions } = value as Record<string, unknown>;
  if (query !== undefined && typeof query !== 'string') return false;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return false;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return false;
  return extensions === undefined || extensions === null || typeof extensions === 'object';
}

/** What a client may POST: one operation, or a small batch of them. */
export type GraphQLBody = Record<string, unknown> | Record<string, unknown>[];

/**
 * Parses a JSON body that is one operation (or a small batch of them); anything else is a 400
 * with a code. The parsed body is what GraphQL then runs, so the body is parsed once.
 */
export function parseBody(raw: Buffer, maxBatch: number): { body: GraphQLBody } | { refusal: Refusal } {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return { refusal: { status: 400, code: 'BAD_REQUEST', message: 'The body is not valid JSON' } };
  }
  if (Array.isArray(body)) {
    if (body.length === 0 || body.length > maxBatch) return { refusal: { status: 400, code: 'BATCH_TOO_LARGE', message: `A batch holds 1 to ${maxBatch} operations` } };
    if (!body.every(isOperation)) return { refusal: { status: 400, code: 'BAD_REQUEST', message: 'Each batched item must be a GraphQL request object' } };
    return { body: body as Record<string, unknown>[] };
  }
  if (!isOperation(body)) return { refusal: { status: 400, code: 'BAD_REQUEST', message: 'A GraphQL request is an object with a query string' } };
  return { body: body as Record<string, unknown> };
}

export const isManagementKey = (authorization: string | null | undefined) => /^Bearer\s+cgm_/i.test(authorization ?? '');

/** Hash of a document as clients send it in `extensions.persistedQuery.sha256Hash`. */
export const documentHash = (document: string) => sha256(document).toString('hex');

/** The trusted documents manifest: hash → document. */
export function loadTrustedDocuments(path: string | undefined): Map<string, string> {
  if (!path || !existsSync(path)) return new Map();
  return new Map(Object.entries(JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>));
}

/** The server context of a POST whose body `parseBody` has parsed. */
export interface ParsedBodyContext {
  parsedBody?: GraphQLBody;
}

/** GraphQL runs the body `parseBody` parsed, rather than reading and parsing it a second time. */
export const useParsedBody = () => ({
  onRequestParse({ serverContext, setRequestParser }: { serverContext: ParsedBodyContext; setRequestParser: (parser: () => GraphQLBody) => void }) {
    const body = serverContext.parsedBody;
    if (body) setRequestParser(() => body);
  },
});
