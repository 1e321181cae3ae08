import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };
import type { OAuthProviderConfig } from '../../kit/config';
import { DomainError, ErrorCode } from '../../kit/errors';

// openid-client is ESM-only; Node >= 20.19 loads it with require().
// eslint-disable-next-line @typescript-eslint/no-require-imports
const oidc = require('openid-client') as typeof OpenIdClient;

export interface AuthorizationRequest {
  url: string;
  state: string;
  codeVerifier: string;
  nonce: string;
}

export interface ProviderIdentity {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  /** X's `subscription_type` claim, when the provider sends one. */
  subscription: string | null;
}

const isLoopback = (url: URL) => url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

/** One OpenID Connect provider: authorization-code flow with PKCE (S256), state and nonce. */
export class OidcClient {
  private configuration?: Promise<OpenIdClient.Configuration>;

  constructor(private readonly provider: OAuthProviderConfig) {}

  /** Discovered once, on first use; a failed discovery is retried next time. */
  private config(): Promise<OpenIdClient.Configuration> {
    const issuer = new URL(this.provider.issuer);
    this.configuration ??= oidc
      .discovery(issuer, this.provider.clientId, this.provider.clientSecret, undefined, isLoopback(issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined)
      .catch((err) => {
        this.configuration = undefined;
        throw err;
      });
    return this.configuration;
  }

  async authorizationRequest(): Promise<AuthorizationRequest> {
    const config = await this.config();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.provider.redirectUrl,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state, codeVerifier, nonce };
  }

  /** Exchanges the code (with the PKCE verifier) and checks the ID token; the provider's verdict on who this is. */
  async identify(code: string, state: string, codeVerifier: string, nonce: string): Promise<ProviderIdentity> {
    const config = await this.config();
    const callback = new URL(this.provider.redirectUrl);
    callback.searchParams.set('code', code);
    callback.searchParams.set('state', state);
    // The state was issued for this provider alone (the mix-up defence RFC 9207's `iss` adds), so
    // the client is not asked to relay `iss`; it is supplied when the provider announces it.
    const metadata = config.serverMetadata();
    if (metadata.authorization_response_iss_parameter_supported) callback.searchParams.set('iss', metadata.issuer);
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
      const claims = tokens.claims();
      if (!claims?.sub) throw new Error('no subject');
      const subscription = claims.subscription_type;
      return {
        subject: claims.sub,
        email: typeof claims.email === 'string' ? claims.email : null,
        emailVerified: claims.email_verified === true,
        subscription: typeof subscription === 'string' ? subscription : null,
      };
    } catch (err) {
      throw new DomainError(ErrorCode.OAuthFailed, 'The sign-in with the provider did not succeed; start again');
    }
  }
}
