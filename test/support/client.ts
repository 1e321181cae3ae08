import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createHash } from 'node:crypto';
import { print, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse<T> extends ExecutionResult<T> {
  status: number;
}

/** Talks to the graph the way a client application does: HTTP POST and graphql-ws. */
export class GraphClient {
  constructor(
    readonly url: string,
    readonly token?: string,
    /** Send only the document's hash, as a client bound to trusted documents does. */
    readonly persisted = false,
  ) {}

  as(token: string, persisted = this.persisted): GraphClient {
    return new GraphClient(this.url, token, persisted);
  }

  async request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables> | string,
    variables?: TVariables,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<TResult>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: JSON.stringify(this.body(typeof document === 'string' ? document : print(document), variables)),
    });
    const body = (await response.json()) as ExecutionResult<TResult>;
    return { ...body, status: response.status };
  }

  private body(query: string, variables: unknown) {
    if (!this.persisted) return { query, variables };
    return { variables, extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } } };
  }

  /** The data, or a thrown error naming the GraphQL errors. */
  async data<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables?: TVariables): Promise<TResult> {
    const result = await this.request(document, variables);
    if (result.errors?.length || !result.data) {
      throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    }
    return result.data;
  }

  /** A graphql-ws connection authenticated with this client's token. */
  ws(): Client {
    return createClient({
      url: this.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: true,
      retryAttempts: 0,
      connectionParams: this.token ? { authorization: `Bearer ${this.token}` } : {},
    });
  }
}

/** Subscribes and buffers what arrives, so a test can await the next value. */
export function subscribe<TResult, TVariables>(client: Client, document: TypedDocumentNode<TResult, TVariables>, variables: TVariables) {
  const values: ExecutionResult<TResult>[] = [];
  const waiters: { resolve: (v: ExecutionResult<TResult>) => void; reject: (e: unknown) => void }[] = [];
  let failure: unknown;
  let completed = false;
  const unsubscribe = client.subscribe<TResult>(
    { query: print(document), variables: variables as Record<string, unknown> },
    {
      next: (value) => {
        const waiter = waiters.shift();
        if (waiter) waiter.resolve(value as ExecutionResult<TResult>);
        else values.push(value as ExecutionResult<TResult>);
      },
      error: (err) => {
        failure = err;
        for (const w of waiters.splice(0)) w.reject(err);
      },
      complete: () => {
        completed = true;
      },
    },
  );
  return {
    next(timeoutMs = 5000): Promise<ExecutionResult<TResult>> {
      const ready = values.shift();
      if (ready) return Promise.resolve(ready);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no subscription value within ${timeoutMs} ms (completed: ${completed})`));
        }, timeoutMs);
        const waiter = {
          resolve: (v: ExecutionResult<TResult>) => {
            clearTimeout(timer);
            resolve(v);
          },
          reject: (e: unknown) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        waiters.push(waiter);
      });
    },
    get error() {
      return failure;
    },
    get completed() {
      return completed;
    },
    unsubscribe,
  };
}
