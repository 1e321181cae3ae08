import { signAssertion } from '../../subgraphs/kit/auth';

/** Calls a subgraph's internal route as a trusted service would. */
export async function callInternal<T>(subgraphUrl: string, route: string, body: unknown, secret: string, service = 'inference'): Promise<T> {
  const response = await fetch(new URL(`/internal/${route}`, subgraphUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-console-assertion': signAssertion({ principal: { kind: 'service', service }, requestId: 'test' }, secret) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${route} answered ${response.status}`);
  return (await response.json()) as T;
}
