import { loadBillingConfig, loadGatewayConfig, loadSubgraphConfig } from './config';

const secret = 'k'.repeat(40);

describe('configuration', () => {
  it('gives each subgraph its default port and the shared database', () => {
    const config = loadSubgraphConfig('billing', { DATABASE_URL: 'postgres://x/db', INTERNAL_AUTH_SECRET: secret });
    expect(config).toMatchObject({ port: 4003, databaseUrl: 'postgres://x/db', eventBus: { kind: 'postgres' } });
  });

  it('prefers a subgraph’s own database URL (its own role) over the shared one', () => {
    const config = loadSubgraphConfig('team', { DATABASE_URL: 'postgres://shared/db', TEAM_DATABASE_URL: 'postgres://team@h/db', INTERNAL_AUTH_SECRET: secret });
    expect(config.databaseUrl).toBe('postgres://team@h/db');
  });

  it('sends mail over SMTP only when SMTP_URL is set, from MAIL_FROM, and refuses a URL that is not SMTP', () => {
    const base = { DATABASE_URL: 'postgres://x/db', INTERNAL_AUTH_SECRET: secret };
    expect(loadSubgraphConfig('identity', base).mail).toEqual({ smtpUrl: undefined, from: 'Console <no-reply@console.localhost>', pollMs: 1000 });
    const configured = loadSubgraphConfig('team', { ...base, SMTP_URL: 'smtp://u:p@mail.example.com:587', MAIL_FROM: 'Console <no-reply@example.com>', MAIL_POLL_MS: '100' });
    expect(configured.mail).toEqual({ smtpUrl: 'smtp://u:p@mail.example.com:587', from: 'Console <no-reply@example.com>', pollMs: 100 });
    expect(() => loadSubgraphConfig('identity', { ...base, SMTP_URL: 'http://mail.example.com' })).toThrow(/SMTP_URL/);
    expect(loadSubgraphConfig('identity', { ...base, SMTP_URL: '' }).mail?.smtpUrl).toBeUndefined();
  });

  it('refuses to start without a long enough secret', () => {
    expect(() => loadSubgraphConfig('identity', { DATABASE_URL: 'postgres://x/db', INTERNAL_AUTH_SECRET: 'short' })).toThrow(/INTERNAL_AUTH_SECRET/);
  });

  it('requires NATS_URL when the NATS bus is chosen', () => {
    expect(() => loadSubgraphConfig('audit', { DATABASE_URL: 'postgres://x/db', INTERNAL_AUTH_SECRET: secret, EVENT_BUS: 'nats' })).toThrow(/NATS_URL/);
  });

  it('keeps audit events a year unless AUDIT_RETENTION_DAYS says otherwise', () => {
    expect(loadSubgraphConfig('audit', { DATABASE_URL: 'postgres://x/db', INTERNAL_AUTH_SECRET: secret }).auditRetentionDays).toBe(365);
    expect(loadSubgraphConfig('audit', { DATABASE_URL: 'postgres://x/db', INTERNAL_AUTH_SECRET: secret, AUDIT_RETENTION_DAYS: '90' }).auditRetentionDays).toBe(90);
    expect(() => loadSubgraphConfig('audit', { DATABASE_URL: 'postgres://x/db', INTERNAL_AUTH_SECRET: secret, AUDIT_RETENTION_DAYS: '0' })).toThrow(/AUDIT_RETENTION_DAYS/);
  });

  it('gives audit retention its own connection: required in production, else the same connection acting as audit_retention', () => {
    const dev = loadSubgraphConfig('audit', { DATABASE_URL: 'postgres://app:pw@h:5432/db', INTERNAL_AUTH_SECRET: secret });
    expect(dev.auditRetentionDatabaseUrl).toBe('postgres://app:pw@h:5432/db?options=-c+role%3Daudit_retention');
    const given = loadSubgraphConfig('audit', { DATABASE_URL: 'postgres://x/db', AUDIT_RETENTION_DATABASE_URL: 'postgres://r:pw@h/db', INTERNAL_AUTH_SECRET: secret });
    expect(given.auditRetentionDatabaseUrl).toBe('postgres://r:pw@h/db');
    expect(() => loadSubgraphConfig('audit', { NODE_ENV: 'production', DATABASE_URL: 'postgres://x/db', INTERNAL_AUTH_SECRET: secret })).toThrow(/AUDIT_RETENTION_DATABASE_URL/);
  });

  it('points the gateway at the subgraphs on their default ports', () => {
    const config = loadGatewayConfig({ INTERNAL_AUTH_SECRET: secret });
    expect(config.port).toBe(4000);
    expect(config.subgraphUrls.audit).toBe('http://127.0.0.1:4004/graphql');
  });
});

describe('billing configuration', () => {
  it('has a default price table and refuses Indian cards by default', () => {
    const billing = loadBillingConfig({});
    expect(billing.prices['grok-4']).toEqual({ promptTicksPerToken: 30000n, cachedPromptTicksPerToken: 7500n, completionTicksPerToken: 150000n, predefinedPromptTokens: 28 });
    expect(billing.blockedCardCountries).toEqual(['IN']);
    expect(billing.refundCountries).toEqual([]);
  });

  it('reads prices, refund countries and is attached to the billing subgraph only', () => {
    const env = {
      DATABASE_URL: 'postgres://x/db',
      INTERNAL_AUTH_SECRET: secret,
      BILLING_PRICES: '{"m":{"prompt":"1","cachedPrompt":0,"completion":"2"}}',
      BILLING_REFUND_COUNTRIES: 'de, fr',
    };
    expect(loadSubgraphConfig('billing', env).billing).toMatchObject({ prices: { m: { promptTicksPerToken: 1n, predefinedPromptTokens: 0 } }, refundCountries: ['DE', 'FR'] });
    expect(loadSubgraphConfig('team', env).billing).toBeUndefined();
  });

  it('names the bad variable', () => {
    expect(() => loadBillingConfig({ BILLING_PRICES: '{"m":{"prompt":-1}}' })).toThrow(/BILLING_PRICES/);
    expect(() => loadBillingConfig({ BILLING_PRICES: 'nope' })).toThrow(/BILLING_PRICES must be JSON/);
    expect(() => loadBillingConfig({ BILLING_REFUND_COUNTRIES: 'Germany' })).toThrow(/BILLING_REFUND_COUNTRIES/);
  });

  it('gives the gateway an operation log only when it can reach an event bus, and requires one in production', () => {
    expect(loadGatewayConfig({ INTERNAL_AUTH_SECRET: secret }).operationLog).toBeUndefined();
    expect(loadGatewayConfig({ INTERNAL_AUTH_SECRET: secret, DATABASE_URL: 'postgres://db/x' }).operationLog).toMatchObject({
      eventBus: { kind: 'postgres' },
      databaseUrl: 'postgres://db/x',
      batchSize: 100,
    });
    expect(loadGatewayConfig({ INTERNAL_AUTH_SECRET: secret, EVENT_BUS: 'nats', NATS_URL: 'nats://n:4222' }).operationLog?.eventBus).toMatchObject({ kind: 'nats', natsUrl: 'nats://n:4222' });
    expect(() => loadGatewayConfig({ INTERNAL_AUTH_SECRET: secret, NODE_ENV: 'production' })).toThrow(/DATABASE_URL/);
    expect(() => loadGatewayConfig({ INTERNAL_AUTH_SECRET: secret, EVENT_BUS: 'nats' })).toThrow(/NATS_URL/);
  });

  it('reads usage-reporter tokens for the gateway, each long enough', () => {
    const t = 'r'.repeat(40);
    expect(loadGatewayConfig({ INTERNAL_AUTH_SECRET: secret, USAGE_REPORTER_TOKENS: `${t}, ${t}x` }).usageReporterTokens).toEqual([t, `${t}x`]);
    expect(() => loadGatewayConfig({ INTERNAL_AUTH_SECRET: secret, USAGE_REPORTER_TOKENS: 'short' })).toThrow(/USAGE_REPORTER_TOKENS/);
  });
});
