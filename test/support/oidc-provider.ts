import type { Server } from 'node:http';
import { freePort } from '../../scripts/embedded-postgres';
import type { OAuthProviderConfig } from '../../subgraphs/kit/config';

/** A real OpenID provider (`oidc-provider`) on loopback, whose users the test defines by their claims. */
export interface TestOpenIdProvider {
  config: OAuthProviderConfig;
  accounts: Map<string, Record<string, unknown>>;
  /** Follows the authorization URL like a browser would: logs in as `accountId`, consents, returns the callback's code and state. */
  authorize(authorizationUrl: string, accountId: string): Promise<{ code: string; state: string }>;
  stop(): Promise<void>;
}

export async function startOpenIdProvider(name: string): Promise<TestOpenIdProvider> {
  // ESM-only; Jest compiles it to CommonJS (see jest.config.js).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Provider = require('oidc-provider').default;
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const config: OAuthProviderConfig = { issuer, clientId: `console-${name}`, clientSecret: `secret-${name}-${port}-0123456789abcdef`, redirectUrl: `http://127.0.0.1:9/oauth/${name}/callback` };
  const accounts = new Map<string, Record<string, unknown>>();
  const provider = new Provider(issuer, {
    clients: [{ client_id: config.clientId, client_secret: config.clientSecret, redirect_uris: [config.redirectUrl], token_endpoint_auth_method: 'client_secret_post' }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['subscription_type'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx: unknown, sub: string) => (accounts.has(sub) ? { accountId: sub, claims: () => ({ sub, ...accounts.get(sub) }) } : undefined),
  });
  const server: Server = provider.listen(port);
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));

  async function authorize(authorizationUrl: string, accountId: string): Promise<{ code: string; state: string }> {
    const jar = new Map<string, string>();
    let url = authorizationUrl;
    let form: URLSearchParams | undefined;
    for (let hop = 0; hop < 20; hop++) {
      const res = await fetch(url, {
        method: form ? 'POST' : 'GET',
        body: form,
        redirect: 'manual',
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = pair.indexOf('=');
        jar.set(pair.slice(0, i), pair.slice(i + 1));
      }
      form = undefined;
      const location = res.headers.get('location');
      if (location) {
        const next = new URL(location, url);
        if (next.href.startsWith(config.redirectUrl)) {
          const code = next.searchParams.get('code');
          const state = next.searchParams.get('state');
          if (!code || !state) throw new Error(`provider answered ${next.search}`);
          return { code, state };
        }
        url = next.href;
        continue;
      }
      const html = await res.text();
      const action = /action="([^"]+)"/.exec(html)?.[1];
      if (!action) throw new Error(`unexpected page from the provider (${res.status}): ${html.slice(0, 300)}`);
      url = new URL(action, url).href;
      form = html.includes('name="login"') ? new URLSearchParams({ prompt: 'login', login: accountId, password: 'any' }) : new URLSearchParams({ prompt: 'consent' });
    }
    throw new Error('too many redirects');
  }

  return { config, accounts, authorize, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
